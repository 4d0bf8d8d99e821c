// Continuous re-matching; see rematch.hpp.
#include "server/rematch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "core/context.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"
#include "server/jobs.hpp"
#include "vuln/db/import.hpp"
#include "vuln/match/matcher.hpp"

namespace bulwark::server {

using nlohmann::json;

// One variable name per line: BW_TRY inside a lambda inside BW_TRY shadows nothing.
#define BW_CAT2(a, b) a##b
#define BW_CAT(a, b) BW_CAT2(a, b)
#define BW_TRY(expr)                                                       \
  do {                                                                     \
    if (auto BW_CAT(bw_st_, __LINE__) = (expr); !BW_CAT(bw_st_, __LINE__)) \
      return std::unexpected(BW_CAT(bw_st_, __LINE__).error());            \
  } while (0)

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

core::Ecosystem ecosystem_from(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(core::Ecosystem::gem); ++i) {
    auto e = static_cast<core::Ecosystem>(i);
    if (core::to_string(e) == s) return e;
  }
  return core::Ecosystem::unknown;
}

core::TargetKind target_kind_from(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(core::TargetKind::cluster); ++i) {
    auto k = static_cast<core::TargetKind>(i);
    if (core::to_string(k) == s) return k;
  }
  return core::TargetKind::sbom;
}

// The os-release codename from a PRETTY_NAME like "Debian GNU/Linux 12 (bookworm)".
std::string codename_of(std::string_view pretty) {
  auto open = pretty.rfind('(');
  auto close = pretty.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return {};
  std::string c(pretty.substr(open + 1, close - open - 1));
  if (c.find(' ') != std::string::npos) return {};
  return c;
}

// The (advisory ecosystem, normalised package) keys a package is looked up under.
std::vector<std::pair<std::string, std::string>> keys_of(const core::Package& p, const core::OsInfo& os) {
  std::vector<std::pair<std::string, std::string>> out;
  auto c = vuln::match::query_for(p, os);
  if (!c.query) return out;
  out.emplace_back(c.query->ecosystem, vuln::db::normalise_package(c.query->ecosystem, c.query->package));
  if (!c.query->alt_package.empty()) {
    out.emplace_back(c.query->ecosystem, vuln::db::normalise_package(c.query->ecosystem, c.query->alt_package));
  }
  return out;
}

struct StoredTarget {
  std::string key;
  core::Target target;
  core::OsInfo os;
  std::vector<core::Package> packages;
};

// A finding the server stored (origin 'server').
struct OldFinding {
  std::string fixed, severity, aliases, state, title;
  std::int64_t first_seen = 0;
};

using FindingKey = std::tuple<std::string, std::string, std::string>;  // vuln id, package, version

// The findings of one matched package, by id.
struct RematchFinding {
  std::string id, title, severity, status, practice, fixed, state, evidence, remediation;
  std::vector<std::string> aliases;
};

[[maybe_unused]] std::string aliases_json(const std::vector<std::string>& aliases) {
  json a = json::array();
  for (const auto& x : aliases) a.push_back(x);
  return a.dump();
}

// Rows of one INSERT, sent as multi-row VALUES statements instead of one statement per row
// (PostgreSQL: one round trip per statement). `row` is the VALUES tuple with '?' where each
// parameter goes, e.g. "(?,?,'server',?)". Statements carry 64 rows, and a remainder is sent
// in power-of-two pieces, so at most 7 statement texts exist per batch (the SQLite engine keeps
// its prepared statements by text).
class RowBatch {
 public:
  RowBatch(Sql& sql, std::string head, std::string row, std::string tail = {})
      : sql_(sql), head_(std::move(head)), row_(std::move(row)), tail_(std::move(tail)) {
    width_ = static_cast<std::size_t>(std::count(row_.begin(), row_.end(), '?'));
  }
  Status add(std::vector<Value> row) {
    for (auto& v : row) values_.push_back(std::move(v));
    if (++rows_ == kRows) return send(kRows);
    return {};
  }
  Status flush() {
    for (std::size_t piece = kRows / 2; rows_ > 0; piece /= 2) {
      while (rows_ >= piece) BW_TRY(send(piece));
    }
    return {};
  }

 private:
  static constexpr std::size_t kRows = 64;
  // Sends the first n buffered rows.
  Status send(std::size_t n) {
    std::string text = head_ + " VALUES ";
    std::size_t param = 0;
    for (std::size_t r = 0; r < n; ++r) {
      if (r) text += ',';
      for (char c : row_) {
        if (c == '?') {
          text += '$';
          text += std::to_string(++param);
        } else {
          text += c;
        }
      }
    }
    text += tail_;
    const auto used = static_cast<std::ptrdiff_t>(n * width_);
    std::vector<Value> params(std::make_move_iterator(values_.begin()),
                              std::make_move_iterator(values_.begin() + used));
    values_.erase(values_.begin(), values_.begin() + used);
    rows_ -= n;
    return sql_.exec(text, params);
  }
  Sql& sql_;
  std::string head_, row_, tail_;
  std::size_t width_ = 0;
  std::size_t rows_ = 0;
  std::vector<Value> values_;
};

}  // namespace

json RematchReport::to_json() const {
  return {{"trigger", trigger},     {"keys", keys},      {"targets", targets},     {"packages", packages},
          {"new", new_findings},    {"fixed", fixed},    {"withdrawn", withdrawn}, {"resolved", resolved},
          {"unchanged", unchanged}, {"seconds", seconds}};
}

// What to match: per target, either every package (whole) or only these (name, version) rows.
struct DbRematcher::Work {
  struct Item {
    bool whole = false;
    std::set<std::pair<std::string, std::string>> rows;
  };
  std::map<std::string, Item> targets;
  std::size_t keys = 0;
  bool reindex = false;  // rebuild the match_keys rows of whole targets (their SBOM was just stored)
};

// Bounded: cleared when full (about 60 MiB at most, far less with typical package lists).
struct DbRematcher::Memo {
  static constexpr std::size_t kMaxEntries = 200000;
  std::unordered_map<std::string, std::vector<RematchFinding>> findings;
};

DbRematcher::DbRematcher(Store& store, std::filesystem::path path, vuln::db::Store db)
    : store_(store),
      path_(std::move(path)),
      db_(std::make_unique<vuln::db::Store>(std::move(db))),
      memo_(std::make_unique<Memo>()) {
  worker_ = make_worker_id();
  if (auto m = db_->get_meta("store_import"); m && *m) applied_import_ = std::strtoll((*m)->c_str(), nullptr, 10);
}

DbRematcher::~DbRematcher() = default;

Result<std::unique_ptr<DbRematcher>> DbRematcher::open(Store& store, const std::filesystem::path& path) {
  auto db = vuln::db::Store::open(path, vuln::db::OpenMode::read_write);
  if (!db) return std::unexpected(db.error());
  return std::unique_ptr<DbRematcher>(new DbRematcher(store, path, std::move(*db)));
}

void DbRematcher::on_ingest(const std::vector<const Document*>& docs) {
  if (shared()) (void)catch_up();  // match against what every replica imported
  std::vector<std::string> keys;
  for (const auto* doc : docs) {
    for (const auto& t : doc->targets) {
      if (t.has_packages) keys.push_back(t.key());
    }
  }
  if (keys.empty()) return;
  auto r = match_targets(keys, "ingest");
  if (!r) {
    std::lock_guard lock(progress_mutex_);
    last_run_ = {{"trigger", "ingest"}, {"error", r.error().describe()}};
  }
}

Result<RematchReport> DbRematcher::match_targets(const std::vector<std::string>& target_keys,
                                                 std::string_view trigger) {
  Work w;
  w.reindex = true;
  for (const auto& k : target_keys) w.targets[k].whole = true;
  std::lock_guard lock(mutex_);
  return run(std::move(w), trigger);
}

Result<RematchReport> DbRematcher::rematch_all() {
  Work w;
  auto st = store_.transaction([&](Sql& sql) -> Status {
    auto rows = sql.query("SELECT key FROM targets WHERE has_sbom = 1 ORDER BY key");
    if (!rows) return std::unexpected(rows.error());
    for (const auto& r : *rows) w.targets[as_text(r[0])].whole = true;
    return {};
  });
  if (!st) return std::unexpected(st.error());
  std::lock_guard lock(mutex_);
  return run(std::move(w), "full");
}

Result<RematchReport> DbRematcher::rematch_keys(const std::set<std::pair<std::string, std::string>>& keys,
                                                std::string_view trigger) {
  Work w;
  w.keys = keys.size();
  auto st = store_.transaction([&](Sql& sql) -> Status {
    for (const auto& [eco, pkg] : keys) {
      auto rows = sql.query(
          "SELECT target_key, pkg_name, pkg_version FROM match_keys WHERE ecosystem = $1 AND package = $2", {eco, pkg});
      if (!rows) return std::unexpected(rows.error());
      for (const auto& r : *rows) w.targets[as_text(r[0])].rows.emplace(as_text(r[1]), as_text(r[2]));
    }
    return {};
  });
  if (!st) return std::unexpected(st.error());
  std::lock_guard lock(mutex_);
  return run(std::move(w), trigger);
}

// Called with mutex_ held. Targets are done in batches (read, match, write: one read and one
// write transaction each), so memory stays bounded by the batch, not the fleet.
Result<RematchReport> DbRematcher::run(Work work, std::string_view trigger) {
  constexpr std::size_t kBatch = 256;
  const auto started = std::chrono::steady_clock::now();
  RematchReport report;
  report.trigger = std::string(trigger);
  report.keys = work.keys;
  const std::int64_t started_at = store_.now();
  {
    std::lock_guard lock(progress_mutex_);
    running_ = true;
    running_trigger_ = report.trigger;
    progress_done_ = 0;
    progress_total_ = work.targets.size();
    running_since_ = started_at;
  }
  struct Done {
    DbRematcher& self;
    ~Done() {
      std::lock_guard lock(self.progress_mutex_);
      self.running_ = false;
    }
  } done{*this};

  vuln::match::Matcher matcher(*db_);
  core::Diagnostics diags;
  // Identical packages on the same release give identical findings: each distinct (release,
  // package) is matched once per run.
  // Only an upload's match may reuse what earlier runs matched: every other trigger follows (or
  // is) a change of the advisory database.
  if (trigger != "ingest") memo_->findings.clear();
  auto& memo = memo_->findings;
  auto totals = db_->totals();
  const bool has_data = totals && totals->advisories > 0;
  // Whether a finding that disappeared went because its advisory was withdrawn (or removed).
  std::map<std::string, bool> withdrawn_memo;
  auto withdrawn = [&](const std::string& id) {
    auto [it, fresh] = withdrawn_memo.try_emplace(id, true);
    if (!fresh) return it->second;
    auto refs = db_->find_alias(id);
    if (refs) {
      for (const auto& [source, aid] : *refs) {
        auto a = db_->get(source, aid);
        if (a && *a && (*a)->withdrawn.empty()) it->second = false;
      }
    }
    return it->second;
  };
  std::vector<std::string> order;
  order.reserve(work.targets.size());
  for (const auto& [key, item] : work.targets) order.push_back(key);

  for (std::size_t b = 0; b < order.size(); b += kBatch) {
    const std::size_t e = std::min(order.size(), b + kBatch);
    // 1. Read what to match.
    std::vector<StoredTarget> targets;
    std::map<std::string, std::map<FindingKey, OldFinding>> old_findings;  // target -> findings
    BW_TRY(store_.transaction([&](Sql& sql) -> Status {
      for (std::size_t i = b; i < e; ++i) {
        const std::string& key = order[i];
        const auto& item = work.targets[key];
        auto t =
            sql.query("SELECT kind, name, target_id, os_id, os_version, os_pretty FROM targets WHERE key = $1", {key});
        if (!t) return std::unexpected(t.error());
        if (t->empty()) continue;
        StoredTarget st;
        st.key = key;
        const auto& r = (*t)[0];
        st.target.kind = target_kind_from(as_text(r[0]));
        st.target.name = as_text(r[1]);
        st.target.id = as_text(r[2]);
        st.os.id = as_text(r[3]);
        st.os.version_id = as_text(r[4]);
        st.os.pretty_name = as_text(r[5]);
        st.os.codename = codename_of(st.os.pretty_name);
        auto pk = sql.query(
            "SELECT name, version, source, source_version, ecosystem, purl, architecture, license FROM packages "
            "WHERE target_key = $1",
            {key});
        if (!pk) return std::unexpected(pk.error());
        for (const auto& p : *pk) {
          if (!item.whole && !item.rows.contains({as_text(p[0]), as_text(p[1])})) continue;
          core::Package pkg;
          pkg.name = as_text(p[0]);
          pkg.version = as_text(p[1]);
          pkg.source_name = as_text(p[2]);
          pkg.source_version = as_text(p[3]);
          pkg.ecosystem = ecosystem_from(as_text(p[4]));
          pkg.purl = as_text(p[5]);
          pkg.architecture = as_text(p[6]);
          pkg.license = as_text(p[7]);
          st.packages.push_back(std::move(pkg));
        }
        auto of = sql.query(
            "SELECT vuln_id, package, package_version, fixed_version, severity, aliases, state, title, first_seen "
            "FROM findings WHERE target_key = $1 AND origin = 'server'",
            {key});
        if (!of) return std::unexpected(of.error());
        auto& mine = old_findings[key];
        for (const auto& f : *of) {
          if (!item.whole && !item.rows.contains({as_text(f[1]), as_text(f[2])})) continue;
          mine[{as_text(f[0]), as_text(f[1]), as_text(f[2])}] =
              OldFinding{as_text(f[3]), as_text(f[4]), as_text(f[5]), as_text(f[6]), as_text(f[7]), as_int(f[8])};
        }
        targets.push_back(std::move(st));
      }
      return {};
    }));

    // 2. Match, through the scan's matcher.
    std::map<std::string, std::map<FindingKey, RematchFinding>> new_findings;
    for (const auto& st : targets) {
      auto& mine = new_findings[st.key];
      for (const auto& p : st.packages) {
        ++report.packages;
        if (!has_data) continue;
        std::string memo_key =
            fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}", st.os.id, st.os.version_id, st.os.codename,
                        core::to_string(p.ecosystem), p.name, p.version, p.source_name, p.source_version);
        auto it = memo.find(memo_key);
        if (it == memo.end()) {
          auto found = matcher.match(p, st.os, st.target, diags);
          if (!found) return std::unexpected(found.error());
          std::vector<RematchFinding> list;
          for (const auto& f : *found) {
            RematchFinding nf;
            nf.id = f.vulnerability ? f.vulnerability->id : f.id;
            nf.title = f.title;
            nf.severity = std::string(core::to_string(f.severity));
            nf.status = std::string(core::to_string(f.status));
            nf.practice = std::string(core::to_string(f.practice));
            if (f.vulnerability) {
              nf.fixed = f.vulnerability->fixed_version;
              nf.state = f.vulnerability->state;
              nf.aliases = f.vulnerability->aliases;
            }
            nf.evidence = f.evidence;
            nf.remediation = f.remediation;
            list.push_back(std::move(nf));
          }
          if (memo.size() >= Memo::kMaxEntries) memo.clear();
          it = memo.emplace(std::move(memo_key), std::move(list)).first;
        }
        for (const auto& nf : it->second) mine[{nf.id, p.name, p.version}] = nf;
      }
    }
    report.targets += targets.size();

    // 3. Write the differences and the events. Inserts go in multi-row batches; a finding's alias
    // rows are rewritten only when it is new or its aliases changed; a whole target's unchanged
    // findings get their last_seen in one statement.
    const std::int64_t now = store_.now();
    BW_TRY(store_.transaction([&](Sql& sql) -> Status {
      RowBatch events(sql, "INSERT INTO events(time, kind, vuln_id, target_key, package, severity, detail)",
                      "(?,?,?,?,?,?,?)");
      RowBatch ids(sql, "INSERT INTO finding_ids(target_key, vuln_id, package, package_version, origin, alias)",
                   "(?,?,?,?,'server',?)");
      RowBatch keys(sql, "INSERT INTO match_keys(ecosystem, package, target_key, pkg_name, pkg_version)",
                    "(?,?,?,?,?)");
      RowBatch upserts(
          sql,
          "INSERT INTO findings(target_key, vuln_id, package, package_version, title, severity, status, practice, "
          "fixed_version, state, aliases, evidence, remediation, origin, first_seen, last_seen)",
          "(?,?,?,?,?,?,?,?,?,?,?,?,?,'server',?,?)",
          " ON CONFLICT(target_key, vuln_id, package, package_version, origin) DO UPDATE SET title = "
          "excluded.title, severity = excluded.severity, status = excluded.status, practice = excluded.practice, "
          "fixed_version = excluded.fixed_version, state = excluded.state, aliases = excluded.aliases, evidence = "
          "excluded.evidence, remediation = excluded.remediation, last_seen = excluded.last_seen");
      auto event = [&](std::string_view kind, const std::string& vuln, const std::string& target,
                       const std::string& pkg, const std::string& severity, std::string detail) -> Status {
        return events.add({now, std::string(kind), vuln, target, pkg, severity, std::move(detail)});
      };
      auto drop_ids = [&](const std::string& target, const FindingKey& k) -> Status {
        const auto& [id, pkg, ver] = k;
        return sql.exec(
            "DELETE FROM finding_ids WHERE target_key = $1 AND vuln_id = $2 AND package = $3 AND package_version = "
            "$4 AND origin = 'server'",
            {target, id, pkg, ver});
      };
      auto add_ids = [&](const std::string& target, const FindingKey& k,
                         const std::vector<std::string>& aliases) -> Status {
        const auto& [id, pkg, ver] = k;
        std::set<std::string> all{id};
        all.insert(aliases.begin(), aliases.end());
        for (const auto& alias : all) BW_TRY(ids.add({target, id, pkg, ver, alias}));
        return Status{};
      };
      std::vector<std::string> recount;  // targets whose server findings changed: their kept counts
      for (const auto& st : targets) {
        auto& olds = old_findings[st.key];
        auto& news = new_findings[st.key];
        const bool whole = work.targets[st.key].whole;
        if (work.reindex && whole) {
          BW_TRY(sql.exec("DELETE FROM match_keys WHERE target_key = $1", {st.key}));
          std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
          for (const auto& p : st.packages) {
            for (const auto& [eco, pkg] : keys_of(p, st.os)) {
              if (!seen.emplace(eco, pkg, p.name, p.version).second) continue;
              BW_TRY(keys.add({eco, pkg, st.key, p.name, p.version}));
            }
          }
        }
        // Findings that went: deleted first, so that a whole target's last_seen update below
        // touches only findings still reported.
        for (const auto& [k, of] : olds) {
          if (news.contains(k)) continue;
          if (recount.empty() || recount.back() != st.key) recount.push_back(st.key);
          const auto& [id, pkg, ver] = k;
          BW_TRY(sql.exec(
              "DELETE FROM findings WHERE target_key = $1 AND vuln_id = $2 AND package = $3 AND package_version = $4 "
              "AND origin = 'server'",
              {st.key, id, pkg, ver}));
          BW_TRY(drop_ids(st.key, k));
          const bool present =
              std::any_of(st.packages.begin(), st.packages.end(),
                          [&n = pkg, &v = ver](const core::Package& p) { return p.name == n && p.version == v; });
          if (present && withdrawn(id)) {
            ++report.withdrawn;
            BW_TRY(event("withdrawn", id, st.key, pkg, of.severity,
                         fmt::format("the advisory was withdrawn; {} {} is no longer reported", pkg, ver)));
          } else {
            ++report.resolved;
            BW_TRY(event("resolved", id, st.key, pkg, of.severity,
                         present ? fmt::format("the advisory no longer covers {} {}", pkg, ver)
                                 : fmt::format("{} {} is no longer in the SBOM", pkg, ver)));
          }
        }
        bool any_unchanged = false;
        for (const auto& [k, nf] : news) {
          const auto& [id, pkg, ver] = k;
          auto old = olds.find(k);
          const std::string aliases = aliases_json(nf.aliases);
          if (old != olds.end() && old->second.fixed == nf.fixed && old->second.severity == nf.severity &&
              old->second.aliases == aliases && old->second.state == nf.state && old->second.title == nf.title) {
            ++report.unchanged;
            any_unchanged = true;
            if (!whole) {
              BW_TRY(sql.exec(
                  "UPDATE findings SET last_seen = $1 WHERE target_key = $2 AND vuln_id = $3 AND package = $4 AND "
                  "package_version = $5 AND origin = 'server'",
                  {now, st.key, id, pkg, ver}));
            }
            continue;
          }
          if (recount.empty() || recount.back() != st.key) recount.push_back(st.key);
          const std::int64_t first = old == olds.end() ? now : old->second.first_seen;
          BW_TRY(upserts.add({st.key, id, pkg, ver, nf.title, nf.severity, nf.status, nf.practice, nf.fixed, nf.state,
                              aliases, nf.evidence, nf.remediation, first, now}));
          if (old == olds.end()) {
            BW_TRY(add_ids(st.key, k, nf.aliases));
            ++report.new_findings;
            BW_TRY(event("new", id, st.key, pkg, nf.severity,
                         nf.fixed.empty() ? fmt::format("{} {}: no fix yet", pkg, ver)
                                          : fmt::format("{} {}: fixed in {}", pkg, ver, nf.fixed)));
            continue;
          }
          if (old->second.aliases != aliases) {
            BW_TRY(drop_ids(st.key, k));
            BW_TRY(add_ids(st.key, k, nf.aliases));
          }
          if (old->second.fixed.empty() && !nf.fixed.empty()) {
            ++report.fixed;
            BW_TRY(event("fixed-upstream", id, st.key, pkg, nf.severity,
                         fmt::format("fixed upstream: {} {} is fixed in {}", pkg, ver, nf.fixed)));
          } else {
            ++report.unchanged;
          }
        }
        // Every finding of a whole target still there was seen now (the changed and new ones get
        // it from their upsert too).
        if (whole && any_unchanged) {
          BW_TRY(sql.exec("UPDATE findings SET last_seen = $1 WHERE target_key = $2 AND origin = 'server'",
                          {now, st.key}));
        }
        if (has_data) BW_TRY(sql.exec("UPDATE targets SET matched_at = $1 WHERE key = $2", {now, st.key}));
      }
      BW_TRY(upserts.flush());
      BW_TRY(refresh_finding_counts(sql, recount, "server"));
      BW_TRY(ids.flush());
      BW_TRY(keys.flush());
      return events.flush();
    }));
    std::lock_guard lock(progress_mutex_);
    progress_done_ = e;
  }

  const std::int64_t now = store_.now();
  BW_TRY(store_.transaction([&](Sql& sql) -> Status {
    return sql.exec(
        "INSERT INTO rematch_runs(started_at, finished_at, trigger_kind, key_count, target_count, package_count, "
        "new_findings, fixed, withdrawn, resolved) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        {started_at, now, report.trigger, static_cast<std::int64_t>(report.keys),
         static_cast<std::int64_t>(report.targets), static_cast<std::int64_t>(report.packages),
         static_cast<std::int64_t>(report.new_findings), static_cast<std::int64_t>(report.fixed),
         static_cast<std::int64_t>(report.withdrawn), static_cast<std::int64_t>(report.resolved)});
  }));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ++counters_.runs;
  counters_.packages_matched += report.packages;
  counters_.targets_matched += report.targets;
  counters_.new_findings += report.new_findings;
  counters_.fixed += report.fixed;
  counters_.withdrawn += report.withdrawn;
  counters_.resolved += report.resolved;
  {
    std::lock_guard lock(progress_mutex_);
    last_run_ = report.to_json();
    last_run_["finished_at"] = format_rfc3339(now);
  }
  return report;
}

namespace {

json import_json(const vuln::db::ImportReport& r, const core::Diagnostics& diags) {
  json j = {{"documents", r.documents}, {"skipped", r.skipped},     {"failed_documents", r.failed_documents},
            {"records", r.records},     {"rejected", r.rejected},   {"inserted", r.inserted},
            {"updated", r.updated},     {"unchanged", r.unchanged}, {"stale", r.stale},
            {"removed", r.removed}};
  json problems = json::array();
  for (const auto& d : diags.items()) {
    if (problems.size() >= 20) break;
    problems.push_back({{"file", d.file}, {"message", d.message}});
  }
  j["problems"] = problems;
  j["problem_count"] = diags.items().size();
  return j;
}

// A file name the importer can read the format from, for a body sent without one.
Result<std::string> guess_name(std::string_view body, std::string_view content_type) {
  auto starts = [&](std::string_view magic) { return body.starts_with(magic); };
  if (starts("PK\x03\x04")) return std::string("upload.zip");
  if (starts("\x1f\x8b")) return std::string("upload.tar.gz");
  if (starts("\x28\xb5\x2f\xfd")) return std::string("upload.tar.zst");
  if (starts("\xfd\x37\x7a\x58\x5a")) return std::string("upload.tar.xz");
  if (starts("BZh")) return std::string("upload.tar.bz2");
  if (body.size() > 262 && body.substr(257, 5) == "ustar") return std::string("upload.tar");
  std::size_t i = 0;
  while (i < body.size() && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) ++i;
  std::string_view rest = body.substr(i);
  if (rest.starts_with("{")) return std::string("advisory.json");
  if (rest.starts_with("CVE-") || rest.starts_with("TEMP-")) return std::string("CVE.list");
  if (rest.starts_with("```toml")) return std::string("advisory.md");
  if (rest.starts_with("[")) {
    return fail(ErrorCode::invalid_argument,
                "a Debian advisory list needs its name: add ?name=DSA.list (or DLA.list, DTSA.list)");
  }
  if (content_type.find("yaml") != std::string_view::npos || rest.starts_with("---") ||
      rest.starts_with("schema-version") || rest.starts_with("id:")) {
    return std::string("advisory.yaml");
  }
  return fail(ErrorCode::invalid_argument,
              "the body is not an advisory format this server recognises (OSV JSON/YAML, Alpine secdb, Wolfi, "
              "Debian lists, RustSec, Node security-wg, or an archive of them); name it with ?name=FILE");
}

bool valid_upload_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

}  // namespace

Result<json> DbRematcher::import_locked(const std::vector<std::filesystem::path>& paths) {
  auto imported = import_only_locked(paths);
  if (!imported) return std::unexpected(imported.error());
  auto& [out, keys] = *imported;
  auto rm = rematch_keys(keys, "import");
  if (!rm) return std::unexpected(rm.error());
  out["rematch"] = rm->to_json();
  {
    std::lock_guard lock(progress_mutex_);
    last_import_ = out;
    last_import_["at"] = format_rfc3339(unix_now());
  }
  return out;
}

Result<std::pair<json, std::set<std::pair<std::string, std::string>>>> DbRematcher::import_only_locked(
    const std::vector<std::filesystem::path>& paths) {
  memo_->findings.clear();  // even an import that fails part way may have changed the database
  core::Diagnostics diags;
  db_->track_changes(true);
  vuln::db::ImportReport total;
  for (const auto& p : paths) {
    auto r = vuln::db::import_paths({p}, *db_, diags, {});
    if (!r) {
      db_->track_changes(false);
      ++counters_.import_errors;
      return std::unexpected(r.error());
    }
    total += *r;
  }
  auto changes = db_->take_changes();
  db_->track_changes(false);
  ++counters_.imports;
  const bool changed = total.inserted + total.updated + total.removed > 0;
  if (changed) (void)db_->set_meta("last_update", format_rfc3339(unix_now()));
  json out = {{"import", import_json(total, diags)}};
  if (total.records == 0 && total.removed == 0) {
    ++counters_.import_errors;
    return fail(ErrorCode::parse, diags.items().empty()
                                      ? std::string("no advisory records found in the upload")
                                      : fmt::format("no advisory records imported: {}", diags.items().front().message));
  }
  out["changed_advisories"] = changes.advisories.size();
  out["changed_packages"] = changes.packages.size();
  return std::pair{std::move(out), std::move(changes.packages)};
}

Status DbRematcher::catch_up() {
  std::lock_guard lock(mutex_);
  return catch_up_locked();
}

Status DbRematcher::catch_up_locked(std::int64_t up_to) {
  if (!shared()) return {};
  auto last = store_.last_advisory_import();
  if (!last) return std::unexpected(last.error());
  up_to = std::min(up_to, *last);
  if (up_to <= applied_import_) return {};
  auto list = store_.advisory_imports(applied_import_, up_to);
  if (!list) return std::unexpected(list.error());
  memo_->findings.clear();
  for (const auto& im : *list) {
    auto rnd = random_hex(8);
    if (!rnd) return std::unexpected(rnd.error());
    const auto dir = path_.parent_path() / "import-tmp" / *rnd;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(ErrorCode::io, "cannot create the import folder: " + ec.message(), dir.string());
    const auto file = dir / (valid_upload_name(im.name) ? im.name : std::string("upload"));
    {
      std::ofstream o(file, std::ios::binary);
      o.write(im.body.data(), static_cast<std::streamsize>(im.body.size()));
      if (!o) {
        std::filesystem::remove_all(dir, ec);
        return fail(ErrorCode::io, "cannot write a stored import (disk full?)", file.string());
      }
    }
    core::Diagnostics diags;
    auto r = vuln::db::import_paths({file}, *db_, diags, {});
    std::filesystem::remove_all(dir, ec);
    // A stored import another replica applied is applied here too, or skipped if it cannot be
    // read (the replicas' databases would differ otherwise only in that import).
    if (!r)
      fmt::print(stderr, "bulwark server: stored advisory import {} not applied: {}\n", im.id, r.error().describe());
    applied_import_ = im.id;
    (void)db_->set_meta("store_import", std::to_string(im.id));
  }
  (void)db_->set_meta("last_update", format_rfc3339(unix_now()));
  return {};
}

Result<RematchReport> DbRematcher::run_chunk(const Job& job) {
  auto p = json::parse(job.payload, nullptr, false);
  if (!p.is_object() || !p.contains("import") || !p["import"].is_number_integer() || !p.contains("targets") ||
      !p["targets"].is_array()) {
    return fail(ErrorCode::invalid_argument, "rematch job: payload is not {import, targets}");
  }
  Work w;
  for (const auto& t : p["targets"]) {
    if (t.is_string()) w.targets[t.get<std::string>()].whole = true;
  }
  std::lock_guard lock(mutex_);
  BW_TRY(catch_up_locked(p["import"].get<std::int64_t>()));
  if (applied_import_ < p["import"].get<std::int64_t>()) {
    return fail(ErrorCode::internal, "rematch job: its advisory import is not in the store");
  }
  return run(std::move(w), "import");
}

void DbRematcher::add_jobs(JobRunner& runner) {
  runner.on("rematch", [this](const Job& job) -> Result<std::string> {
    auto r = run_chunk(job);
    if (!r) return std::unexpected(r.error());
    return r->to_json().dump();
  });
}

Result<json> DbRematcher::import_shared(const std::filesystem::path& file, std::string_view name,
                                        std::string_view body) {
  json out;
  std::int64_t id = 0;
  std::vector<std::string> targets;
  {
    std::lock_guard lock(mutex_);
    BW_TRY(catch_up_locked());
    auto imported = import_only_locked({file});
    if (!imported) return std::unexpected(imported.error());
    out = std::move(imported->first);
    auto stored = store_.add_advisory_import(name, body, worker_);
    if (!stored) return std::unexpected(stored.error().within("keeping the import for the other replicas"));
    id = *stored;
    // Imports other replicas stored since the catch-up above come in now (after this one here;
    // the importer keeps the newest record of each advisory whatever the order).
    BW_TRY(catch_up_locked(id - 1));
    applied_import_ = id;
    (void)db_->set_meta("store_import", std::to_string(id));
    std::set<std::string> keys;
    BW_TRY(store_.transaction([&](Sql& sql) -> Status {
      for (const auto& [eco, pkg] : imported->second) {
        auto rows =
            sql.query("SELECT DISTINCT target_key FROM match_keys WHERE ecosystem = $1 AND package = $2", {eco, pkg});
        if (!rows) return std::unexpected(rows.error());
        for (const auto& r : *rows) keys.insert(as_text(r[0]));
      }
      return {};
    }));
    targets.assign(keys.begin(), keys.end());
  }
  out["import_id"] = id;
  const std::string prefix = fmt::format("rematch:{}:", id);
  for (std::size_t at = 0, n = 0; at < targets.size(); at += kRematchChunk, ++n) {
    json chunk = json::array();
    for (std::size_t i = at; i < std::min(targets.size(), at + kRematchChunk); ++i) chunk.push_back(targets[i]);
    auto queued =
        store_.enqueue_job("rematch", json{{"import", id}, {"targets", chunk}}.dump(), prefix + std::to_string(n));
    if (!queued) return std::unexpected(queued.error().within("queueing the re-match"));
  }
  // Work on the chunks here too (any replica's worker may take them as well), then wait for the
  // ones others hold. A worker that dies leaves its chunk to be claimed again after the lease.
  constexpr std::int64_t kLease = 300;
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    auto job = store_.claim_job({"rematch"}, worker_, kLease);
    if (!job) return std::unexpected(job.error());
    if (*job) {
      auto r = run_chunk(**job);
      (void)store_.finish_job((*job)->id, worker_, r.has_value(), r ? r->to_json().dump() : r.error().describe());
      continue;
    }
    auto states = store_.jobs_with_dedup_prefix(prefix);
    if (!states) return std::unexpected(states.error());
    bool done = std::all_of(states->begin(), states->end(),
                            [](const Store::JobState& j) { return j.state == "done" || j.state == "failed"; });
    if (done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto states = store_.jobs_with_dedup_prefix(prefix);
  if (!states) return std::unexpected(states.error());
  RematchReport sum;
  sum.trigger = "import";
  sum.keys = out.value("changed_packages", std::size_t{0});
  json workers = json::object();
  std::size_t failed = 0;
  for (const auto& j : *states) {
    workers[j.claimed_by] = workers.value(j.claimed_by, 0) + 1;
    if (j.state != "done") {
      ++failed;
      continue;
    }
    auto r = json::parse(j.result, nullptr, false);
    if (!r.is_object()) continue;
    sum.targets += r.value("targets", std::size_t{0});
    sum.packages += r.value("packages", std::size_t{0});
    sum.new_findings += r.value("new", std::size_t{0});
    sum.fixed += r.value("fixed", std::size_t{0});
    sum.withdrawn += r.value("withdrawn", std::size_t{0});
    sum.resolved += r.value("resolved", std::size_t{0});
    sum.unchanged += r.value("unchanged", std::size_t{0});
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out["rematch"] = sum.to_json();
  out["rematch"]["chunks"] = states->size();
  out["rematch"]["failed_chunks"] = failed;
  out["rematch"]["workers"] = workers;
  {
    std::lock_guard lock(progress_mutex_);
    last_import_ = out;
    last_import_["at"] = format_rfc3339(unix_now());
  }
  if (failed > 0) {
    return fail(ErrorCode::io,
                fmt::format("{} of {} re-match chunks failed (GET /api/v1/jobs?kind=rematch)", failed, states->size()));
  }
  return out;
}

Result<json> DbRematcher::import_paths(const std::vector<std::filesystem::path>& paths) {
  std::lock_guard lock(mutex_);
  return import_locked(paths);
}

Result<json> DbRematcher::import_body(std::string_view body, std::string_view content_type, std::string_view name) {
  if (body.empty())
    return fail(ErrorCode::invalid_argument, "the body is empty: send one advisory document or archive");
  std::string file;
  if (!name.empty()) {
    if (!valid_upload_name(name)) {
      return fail(ErrorCode::invalid_argument, "name: a file name of letters, digits, '.', '_' and '-' (no path)");
    }
    file = std::string(name);
  } else {
    auto g = guess_name(body, content_type);
    if (!g) return std::unexpected(g.error());
    file = *g;
  }
  auto rnd = random_hex(8);
  if (!rnd) return std::unexpected(rnd.error());
  const auto dir = path_.parent_path() / "import-tmp" / *rnd;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::io, "cannot create the import folder: " + ec.message(), dir.string());
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code e;
      std::filesystem::remove_all(dir, e);
    }
  } cleanup{dir};
  {
    std::ofstream out(dir / file, std::ios::binary);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    if (!out) return fail(ErrorCode::io, "cannot write the upload (disk full?)", (dir / file).string());
  }
  if (shared()) return import_shared(dir / file, file, body);
  std::lock_guard lock(mutex_);
  return import_locked({dir / file});
}

Result<json> DbRematcher::update(const vuln::db::UpdateOptions& options) {
  std::lock_guard lock(mutex_);
  core::Diagnostics diags;
  auto progress = core::make_silent_progress();
  memo_->findings.clear();
  // update_database rewrites the file beside the open one: close ours first, reopen after.
  db_.reset();
  auto report = vuln::db::update_database(path_, options, *progress, diags);
  auto reopened = vuln::db::Store::open(path_, vuln::db::OpenMode::read_write);
  if (!reopened) return std::unexpected(reopened.error());
  db_ = std::make_unique<vuln::db::Store>(std::move(*reopened));
  if (!report) {
    ++counters_.update_errors;
    return std::unexpected(report.error());
  }
  ++counters_.updates;
  json out = {{"replaced", report->replaced}, {"feeds", report->feeds.size()}};
  if (report->replaced) {
    Work w;
    BW_TRY(store_.transaction([&](Sql& sql) -> Status {
      auto rows = sql.query("SELECT key FROM targets WHERE has_sbom = 1 ORDER BY key");
      if (!rows) return std::unexpected(rows.error());
      for (const auto& r : *rows) w.targets[as_text(r[0])].whole = true;
      return {};
    }));
    auto rm = run(std::move(w), "update");
    if (!rm) return std::unexpected(rm.error());
    out["rematch"] = rm->to_json();
  }
  return out;
}

json DbRematcher::status() {
  json out = {{"path", path_.string()}};
  {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (lock.owns_lock() && db_) {
      if (auto t = db_->totals()) {
        out["advisories"] = t->advisories;
        out["aliases"] = t->aliases;
        out["affected"] = t->affected;
      }
      json sources = json::array();
      if (auto s = db_->stats()) {
        for (const auto& x : *s) {
          json j = {{"name", x.name}, {"advisories", x.advisory_count}, {"affected", x.affected_count}};
          if (!x.imported_at.empty()) j["imported_at"] = x.imported_at;
          sources.push_back(std::move(j));
        }
      }
      out["sources"] = sources;
      if (auto m = db_->get_meta("last_update"); m && *m) out["updated_at"] = **m;
    } else {
      out["busy"] = true;  // an import or re-match holds the database; counts on the next call
    }
  }
  std::lock_guard lock(progress_mutex_);
  json rm = {{"running", running_}};
  if (running_) {
    rm["trigger"] = running_trigger_;
    rm["done"] = progress_done_;
    rm["total"] = progress_total_;
    rm["started_at"] = format_rfc3339(running_since_);
  }
  if (!last_run_.is_null()) rm["last"] = last_run_;
  rm["runs"] = counters_.runs.load();
  rm["packages_matched"] = counters_.packages_matched.load();
  out["rematch"] = rm;
  if (!last_import_.is_null()) out["last_import"] = last_import_;
  return out;
}

std::string DbRematcher::metrics_text() {
  std::string out;
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, v);
  };
  counter("bulwark_rematch_runs_total", "Re-match runs (ingest, import, update).", counters_.runs.load());
  counter("bulwark_rematch_packages_total", "Stored package rows matched against the advisory database.",
          counters_.packages_matched.load());
  counter("bulwark_rematch_targets_total", "Targets whose packages were matched.", counters_.targets_matched.load());
  out +=
      "# HELP bulwark_rematch_events_total Events recorded by re-matching, by kind.\n"
      "# TYPE bulwark_rematch_events_total counter\n";
  out += fmt::format("bulwark_rematch_events_total{{kind=\"new\"}} {}\n", counters_.new_findings.load());
  out += fmt::format("bulwark_rematch_events_total{{kind=\"fixed-upstream\"}} {}\n", counters_.fixed.load());
  out += fmt::format("bulwark_rematch_events_total{{kind=\"withdrawn\"}} {}\n", counters_.withdrawn.load());
  out += fmt::format("bulwark_rematch_events_total{{kind=\"resolved\"}} {}\n", counters_.resolved.load());
  counter("bulwark_db_imports_total", "Advisory imports.", counters_.imports.load());
  counter("bulwark_db_import_errors_total", "Advisory imports refused or failed.", counters_.import_errors.load());
  counter("bulwark_db_updates_total", "Scheduled advisory updates that completed.", counters_.updates.load());
  counter("bulwark_db_update_errors_total", "Scheduled advisory updates that failed.", counters_.update_errors.load());
  std::lock_guard lock(progress_mutex_);
  out += fmt::format(
      "# HELP bulwark_rematch_running Whether a re-match is running.\n# TYPE bulwark_rematch_running gauge\n"
      "bulwark_rematch_running {}\n"
      "# HELP bulwark_rematch_progress_done Targets done in the running (or last) re-match.\n"
      "# TYPE bulwark_rematch_progress_done gauge\nbulwark_rematch_progress_done {}\n"
      "# HELP bulwark_rematch_progress_total Targets in the running (or last) re-match.\n"
      "# TYPE bulwark_rematch_progress_total gauge\nbulwark_rematch_progress_total {}\n",
      running_ ? 1 : 0, progress_done_, progress_total_);
  return out;
}

}  // namespace bulwark::server
