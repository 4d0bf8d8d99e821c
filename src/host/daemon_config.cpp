#include "host/daemon_config.hpp"

#include <dirent.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "util/files.hpp"
#include "util/strings.hpp"

namespace bulwark::host {

namespace {

// dockerd flags that take no separate value (Go bool flags: only --flag or --flag=false).
constexpr std::array kBoolFlags = {
    "icc",          "iptables",        "ip6tables",    "ip-forward",        "ip-masq",
    "live-restore", "userland-proxy",  "experimental", "no-new-privileges", "tls",
    "tlsverify",    "selinux-enabled", "debug",        "raw-logs",          "init",
    "ipv6",         "validate",        "rootless",
};

struct Alias {
  std::string_view flag;
  std::string_view key;
};
// Flags whose daemon.json key has another name.
constexpr std::array kAliases = {
    Alias{"host", "hosts"},
    Alias{"insecure-registry", "insecure-registries"},
    Alias{"authorization-plugin", "authorization-plugins"},
    Alias{"storage-opt", "storage-opts"},
    Alias{"default-ulimit", "default-ulimits"},
    Alias{"log-opt", "log-opts"},
    Alias{"registry-mirror", "registry-mirrors"},
    Alias{"label", "labels"},
    Alias{"dns", "dns"},
};

constexpr std::array kShort = {
    Alias{"H", "host"},      Alias{"D", "debug"}, Alias{"l", "log-level"}, Alias{"s", "storage-driver"},
    Alias{"g", "data-root"}, Alias{"G", "group"}, Alias{"p", "pidfile"},   Alias{"b", "bridge"},
};

bool is_bool_flag(std::string_view name) {
  for (auto b : kBoolFlags) {
    if (name == b) return true;
  }
  return false;
}

std::string flag_for_key(std::string_view key) {
  for (auto a : kAliases) {
    if (a.key == key) return std::string(a.flag);
  }
  return std::string(key);
}

nlohmann::json flag_value(const DaemonFlag& f) {
  if (f.value == "true") return true;
  if (f.value == "false") return false;
  return f.value;
}

}  // namespace

std::vector<DaemonFlag> parse_dockerd_args(const std::vector<std::string>& argv) {
  std::vector<DaemonFlag> out;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    std::string_view a = argv[i];
    if (!a.starts_with('-') || a == "-" || a == "--") continue;
    bool long_form = a.starts_with("--");
    a.remove_prefix(long_form ? 2 : 1);
    std::string name;
    std::optional<std::string> value;
    if (auto eq = a.find('='); eq != std::string_view::npos) {
      name = std::string(a.substr(0, eq));
      value = std::string(a.substr(eq + 1));
    } else {
      name = std::string(a);
    }
    if (!long_form || name.size() == 1) {
      for (auto s : kShort) {
        if (s.flag == name) name = std::string(s.key);
      }
    }
    if (!value) {
      if (is_bool_flag(name)) {
        value = "true";
      } else if (i + 1 < argv.size()) {
        value = argv[++i];
      } else {
        value = "";
      }
    }
    out.push_back({std::move(name), std::move(*value)});
  }
  return out;
}

Setting DaemonFacts::lookup(std::string_view key) const {
  std::string flag = flag_for_key(key);
  const DaemonFlag* last = nullptr;
  for (const auto& f : flags) {
    if (f.name == flag) last = &f;
  }
  if (last) {
    Setting s;
    s.state = Setting::State::set;
    s.value = flag_value(*last);
    s.source = last->value == "true" ? fmt::format("dockerd --{}", last->name)
                                     : fmt::format("dockerd --{}={}", last->name, redact(last->value));
    return s;
  }
  if (config.is_object()) {
    if (auto it = config.find(std::string(key)); it != config.end()) {
      Setting s;
      s.state = Setting::State::set;
      s.value = *it;
      s.source = config_path;
      return s;
    }
  }
  Setting s;
  s.state = config_error ? Setting::State::unknown : Setting::State::unset;
  return s;
}

std::vector<std::string> DaemonFacts::lookup_all(std::string_view key) const {
  std::vector<std::string> out;
  std::string flag = flag_for_key(key);
  for (const auto& f : flags) {
    if (f.name == flag) out.push_back(f.value);
  }
  if (config.is_object()) {
    if (auto it = config.find(std::string(key)); it != config.end()) {
      if (it->is_array()) {
        for (const auto& v : *it) {
          if (v.is_string()) out.push_back(v.get<std::string>());
        }
      } else if (it->is_string()) {
        out.push_back(it->get<std::string>());
      }
    }
  }
  return out;
}

std::optional<std::string> DaemonFacts::security_option(std::string_view name) const {
  if (!has_info()) return std::nullopt;
  auto it = info.find("SecurityOptions");
  if (it == info.end() || !it->is_array()) return std::nullopt;
  for (const auto& opt : *it) {
    if (!opt.is_string()) continue;
    auto s = opt.get<std::string>();
    // "name=seccomp,profile=default"
    for (auto part : util::split(s, ',')) {
      if (part == fmt::format("name={}", name)) return s;
    }
  }
  return std::nullopt;
}

void load_daemon_json(const HostFs& fs, DaemonFacts& facts) {
  for (const auto& f : facts.flags) {
    if (f.name == "config-file" && !f.value.empty()) facts.config_path = f.value;
  }
  if (!fs.stat(facts.config_path)) return;
  facts.config_present = true;
  auto text = fs.read(facts.config_path, 1 << 20);
  if (!text) {
    facts.config_error = text.error();
    return;
  }
  try {
    facts.config = nlohmann::json::parse(*text);
  } catch (const nlohmann::json::parse_error& e) {
    facts.config_error =
        Error{ErrorCode::parse, fmt::format("malformed daemon configuration (invalid JSON at byte {})", e.byte),
              facts.config_path};
    facts.config = nlohmann::json::object();
    return;
  }
  if (!facts.config.is_object()) {
    facts.config_error =
        Error{ErrorCode::parse, "malformed daemon configuration (expected a JSON object)", facts.config_path};
    facts.config = nlohmann::json::object();
  }
}

void load_dockerd_cmdline(DaemonFacts& facts) {
  DIR* dir = ::opendir("/proc");
  if (!dir) return;
  int best = 0;
  while (auto* ent = ::readdir(dir)) {
    auto pid = util::parse_u64(ent->d_name);
    if (!pid) continue;
    auto comm = util::read_file(fmt::format("/proc/{}/comm", *pid), 256);
    if (!comm || util::trim(*comm) != "dockerd") continue;
    // The newest dockerd is the one serving (an old one may be shutting down).
    if (static_cast<int>(*pid) > best) best = static_cast<int>(*pid);
  }
  ::closedir(dir);
  if (best == 0) return;
  auto cmdline = util::read_file(fmt::format("/proc/{}/cmdline", best), 1 << 20);
  if (!cmdline) return;
  std::vector<std::string> argv;
  for (auto part : util::split(*cmdline, '\0')) argv.emplace_back(part);
  while (!argv.empty() && argv.back().empty()) argv.pop_back();
  facts.cmdline_known = true;
  facts.pid = best;
  facts.flags = parse_dockerd_args(argv);
  std::error_code ec;
  auto exe = std::filesystem::read_symlink(fmt::format("/proc/{}/exe", best), ec);
  if (!ec) facts.exe = exe.string();
}

std::string redact(std::string_view text) {
  static const std::regex userinfo(R"(([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s"]+@)");
  static const std::regex secret_kv(
      R"re(((?:password|passwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credentials?)[^=:"\s]*"?\s*[=:]\s*"?)[^",\s}]+)re",
      std::regex::icase);
  std::string out = std::regex_replace(std::string(text), userinfo, "$1***@");
  out = std::regex_replace(out, secret_kv, "$1***");
  return out;
}

}  // namespace bulwark::host
