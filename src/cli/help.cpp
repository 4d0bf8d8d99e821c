#include "cli/help.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "util/files.hpp"
#include "vuln/db/store.hpp"

#ifndef BULWARK_COMMIT
#define BULWARK_COMMIT "unknown"
#endif
#ifndef BULWARK_BUILD_TYPE
#define BULWARK_BUILD_TYPE "unknown"
#endif

namespace bulwark::cli {

namespace {

// The headings of `bulwark --help`: the practices of DESIGN.md, each with the commands that
// put it into practice. A command not named here is listed under "Other commands".
struct HelpGroup {
  std::string_view heading;
  std::vector<std::string_view> commands;
};

const std::vector<HelpGroup>& help_groups() {
  static const std::vector<HelpGroup> groups = {
      {"Start here", {"audit"}},
      {"vulnerability-scan: known vulnerabilities in packages", {"image", "rootfs", "sbom-scan", "db"}},
      {"up-to-date: what is installed, and how versions compare", {"sbom", "version"}},
      {"host-hardening: the Docker host, its daemon and containers (CIS Docker Benchmark)", {"host"}},
      {"least-privilege, limit-privileges, isolation: Dockerfiles, Compose, Kubernetes",
       {"config", "secret", "secrets"}},
      {"access-control: who may do what (Kubernetes RBAC)", {"rbac"}},
      {"network-policy: which pods may talk to which", {"netpol"}},
      {"trusted-base-image: signatures, attestations, base images",
       {"trust", "verify", "verify-blob", "sign", "attest", "authz"}},
      {"monitoring: what containers do at run time, and the fleet", {"monitor", "agent", "server"}},
  };
  return groups;
}

class GroupedFormatter : public CLI::Formatter {
 public:
  std::string make_subcommands(const CLI::App* app, CLI::AppFormatMode mode) const override {
    if (app->get_parent() != nullptr) return CLI::Formatter::make_subcommands(app, mode);
    auto subs = app->get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); });
    std::map<std::string, const CLI::App*, std::less<>> by_name;
    for (const auto* s : subs) by_name[s->get_name()] = s;
    std::set<std::string, std::less<>> shown;
    std::ostringstream out;
    auto section = [&](std::string_view heading, const std::vector<const CLI::App*>& list) {
      if (list.empty()) return;
      out << "\n" << heading << ":\n";
      for (const auto* s : list) {
        out << make_subcommand(s);
        shown.insert(s->get_name());
      }
    };
    for (const auto& g : help_groups()) {
      std::vector<const CLI::App*> list;
      for (auto name : g.commands) {
        if (auto it = by_name.find(name); it != by_name.end()) list.push_back(it->second);
      }
      section(g.heading, list);
    }
    std::vector<const CLI::App*> rest;
    for (const auto* s : subs) {
      if (!shown.contains(s->get_name())) rest.push_back(s);
    }
    section("Other commands", rest);
    return out.str();
  }
};

void non_negative(CLI::App& app) {
  for (auto* opt : app.get_options()) {
    // CLI11 reads "-1" into an unsigned option as a huge number; say no instead.
    if (opt->get_type_name() == "UINT") {
      opt->check(CLI::Validator(
          [](const std::string& v) {
            const auto first = v.find_first_not_of(" \t");
            return first != std::string::npos && v[first] == '-' ? v + " is negative; give 0 or more" : std::string();
          },
          "", "non-negative"));
    }
  }
  for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) non_negative(*sub);
}

std::string command_path(const CLI::App* app) {
  std::vector<std::string> parts;
  for (const auto* a = app; a != nullptr; a = a->get_parent()) parts.push_back(a->get_name());
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += (out.empty() ? "" : " ") + *it;
  return out;
}

template <typename Names>
std::string nearest(std::string_view wanted, const Names& names) {
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& n : names) {
    auto d = edit_distance(wanted, n);
    if (d < best_d) {
      best_d = d;
      best = n;
    }
  }
  // A suggestion only when it is close: at most a third of the name, and at least 2 edits allowed.
  const std::size_t allowed = std::max<std::size_t>(2, wanted.size() / 3);
  return best_d <= allowed ? best : std::string();
}

std::string age_text(double days) {
  if (days < 1.0 / 24) return fmt::format("{:.0f} minutes old", std::max(0.0, days * 24 * 60));
  if (days < 2) return fmt::format("{:.1f} hours old", days * 24);
  return fmt::format("{:.0f} days old", days);
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  std::size_t d = row[b.size()];
  // A swap of two neighbours ("fromat") counts as one edit, as people make it.
  if (a.size() == b.size()) {
    std::size_t diffs = 0;
    std::size_t first = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) {
        if (diffs++ == 0) first = i;
      }
    }
    if (diffs == 2 && first + 1 < a.size() && a[first] == b[first + 1] && a[first + 1] == b[first]) d = 1;
  }
  return d;
}

void install_help(CLI::App& app) {
  for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_group() == "Subcommands") sub->group("Commands");
  }
  app.formatter(std::make_shared<GroupedFormatter>());
  non_negative(app);
}

std::string version_text() {
  std::string out =
      fmt::format("bulwark {} (commit {}, {} build)\n", BULWARK_VERSION, BULWARK_COMMIT, BULWARK_BUILD_TYPE);
  const auto path = vuln::db::default_db_path(util::default_cache_dir());
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    out += fmt::format("advisory database: none at {} (make one: bulwark db update)\n", path.string());
    return out;
  }
  auto store = vuln::db::Store::open(path, vuln::db::OpenMode::read_only);
  if (!store) {
    out += fmt::format("advisory database: {} cannot be opened: {} (rebuild it: bulwark db update)\n", path.string(),
                       store.error().message);
    return out;
  }
  auto last = store->get_meta("last_update");
  std::string updated = last && *last ? **last : std::string();
  if (updated.empty()) {
    if (auto stats = store->stats(); stats) {
      for (const auto& s : *stats) updated = std::max(updated, s.imported_at);
    }
  }
  std::tm tm{};
  if (updated.size() >= 19 && strptime(updated.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) != nullptr) {
    const double days = std::difftime(std::time(nullptr), timegm(&tm)) / 86400.0;
    out += fmt::format("advisory database: {}, updated {} ({}{})\n", path.string(), updated, age_text(days),
                       days > 7 ? "; refresh it: bulwark db update" : "");
  } else {
    out += fmt::format("advisory database: {} (age unknown; bulwark db status shows its sources)\n", path.string());
  }
  return out;
}

std::optional<std::string> unknown_name_message(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* cur = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string_view tok = argv[i];
    if (tok == "--") break;
    if (tok.starts_with("--") && tok.size() > 2) {
      const std::string name(tok.substr(0, tok.find('=')));
      const auto* opt = cur->get_option_no_throw(name);
      if (opt == nullptr) {
        std::vector<std::string> names;
        for (const auto* o : cur->get_options()) {
          for (const auto& l : o->get_lnames()) names.push_back("--" + l);
        }
        const auto hint = nearest(name, names);
        const auto where = command_path(cur);
        return fmt::format("unknown option '{}' for '{}'{} (see {} --help)", name, where,
                           hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint), where);
      }
      // Its value is not a subcommand name.
      if (opt->get_type_size() != 0 && tok.find('=') == std::string_view::npos) ++i;
      continue;
    }
    if (tok.starts_with("-") && tok.size() > 1) {
      if (const auto* opt = cur->get_option_no_throw(std::string(tok.substr(0, 2)));
          opt != nullptr && opt->get_type_size() != 0 && tok.size() == 2) {
        ++i;
      }
      continue;
    }
    const CLI::App* next = nullptr;
    for (const auto* sub : cur->get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->check_name(std::string(tok))) next = sub;
    }
    if (next != nullptr) {
      cur = next;
      continue;
    }
    // A word where only a subcommand can stand.
    if (cur->get_require_subcommand_min() > 0 &&
        cur->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty()) {
      std::vector<std::string> names;
      for (const auto* sub : cur->get_subcommands([](const CLI::App*) { return true; }))
        names.push_back(sub->get_name());
      const auto hint = nearest(tok, names);
      const auto where = command_path(cur);
      return fmt::format("unknown subcommand '{}' for '{}'{} (see {} --help)", tok, where,
                         hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint), where);
    }
  }
  return std::nullopt;
}

}  // namespace bulwark::cli
