#include "secret/scanner.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/core.h>
#include <hs.h>
#include <re2/re2.h>

#include <unistd.h>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <utility>

#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace bulwark::secret {

namespace {

constexpr std::uint64_t kLookBehind = 1024;   // bytes before a candidate's end a match may start
constexpr std::uint64_t kLookAhead = 1536;    // bytes after it a single-line match may reach
constexpr std::uint64_t kRespread = 512;      // a candidate this far past the last one on a line is a new one
constexpr std::size_t kMaxPending = 4096;     // candidates waiting for their window
constexpr std::size_t kKeepBytes = 32 << 10;  // rolling window kept after trimming
constexpr std::size_t kTrimAt = 256 << 10;
// Bytes kept from a chunk that raised no candidate: the most a later candidate's match may
// start before its end (kLookBehind, and a multi-line rule's span, bounded to 4096 below).
constexpr std::size_t kTail = 4096;
constexpr std::size_t kSniffBytes = 8000;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A rule's RE2 patterns. The built-in rules' are compiled on their first candidate (a test
// compiles them all), so that a scan pays only for the rules whose candidates it meets.
struct CompiledRule {
  const Rule* rule = nullptr;
  mutable std::unique_ptr<RE2> re;
  mutable std::vector<std::unique_ptr<RE2>> allow_paths;
  mutable std::vector<std::unique_ptr<RE2>> allow_values;
  mutable bool compiled = false;
  mutable bool broken = false;
};

std::unique_ptr<RE2> compile_re2(const std::string& pattern, bool case_insensitive, std::string& error) {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_case_sensitive(!case_insensitive);
  o.set_max_mem(64 << 20);
  auto re = std::make_unique<RE2>(pattern, o);
  if (!re->ok()) {
    error = re->error();
    return nullptr;
  }
  return re;
}

// Compiles cr's patterns once; an error names the part RE2 rejected.
bool ensure_compiled(const CompiledRule& cr, std::string* what = nullptr) {
  if (cr.compiled) return !cr.broken;
  cr.compiled = true;
  const Rule& r = *cr.rule;
  std::string error;
  auto failed = [&](std::string_view part) {
    cr.broken = true;
    if (what != nullptr) *what = fmt::format("RE2 rejects the {}: {}", part, error);
    return false;
  };
  cr.re = compile_re2(r.pattern, r.case_insensitive, error);
  if (!cr.re) return failed("pattern");
  for (const auto& p : r.allow.paths) {
    auto re = compile_re2(p, false, error);
    if (!re) return failed("allowlisted path");
    cr.allow_paths.push_back(std::move(re));
  }
  for (const auto& p : r.allow.values) {
    auto re = compile_re2(p, false, error);
    if (!re) return failed("allowlisted value");
    cr.allow_values.push_back(std::move(re));
  }
  return true;
}

}  // namespace

struct Engine::Impl {
  Catalogue cat;
  Options options;
  std::vector<CompiledRule> rules;  // index = Vectorscan expression id
  std::vector<std::unique_ptr<RE2>> global_paths;
  std::vector<std::unique_ptr<RE2>> global_values;
  std::vector<std::string> global_stopwords;
  hs_database_t* db = nullptr;
  mutable hs_scratch_t* scratch = nullptr;
  mutable std::uint64_t total = 0;
  // Streams of finished files, reset and kept for the next file (no allocation per file).
  mutable std::vector<hs_stream_t*> spare;

  [[nodiscard]] hs_stream_t* take_stream() const {
    if (!spare.empty()) {
      auto* s = spare.back();
      spare.pop_back();
      return s;
    }
    hs_stream_t* s = nullptr;
    return hs_open_stream(db, 0, &s) == HS_SUCCESS ? s : nullptr;
  }
  // Ends the stream (its end-of-data matches go to cb) and keeps it for reuse.
  void give_back(hs_stream_t* s, match_event_handler cb, void* ctx) const {
    if (hs_reset_stream(s, 0, scratch, cb, ctx) == HS_SUCCESS && spare.size() < 4) {
      spare.push_back(s);
    } else {
      hs_close_stream(s, nullptr, nullptr, nullptr);
    }
  }

  ~Impl() {
    for (auto* s : spare) hs_close_stream(s, nullptr, nullptr, nullptr);
    if (scratch) hs_free_scratch(scratch);
    if (db) hs_free_database(db);
  }
};

struct FileScan::State {
  const Engine::Impl* impl = nullptr;
  const Engine* engine = nullptr;
  std::string path;
  std::uint64_t size_hint = 0;  // the file's size when known (0: unknown)
  hs_stream_t* stream = nullptr;
  std::string buf;                 // the bytes kept: from base to the stream position seen
  std::uint64_t base = 0;          // stream offset of buf[0]
  std::uint64_t lines_before = 0;  // newlines before base
  std::uint64_t seen = 0;
  bool started = false;
  bool stopped = false;
  bool zip = false;
  std::string zip_data;
  std::vector<signed char> path_allowed;  // per rule, sized on the first candidate: 0 unknown, 1 yes, -1 no
  struct Candidate {
    unsigned rule;
    std::uint64_t end;
  };
  std::vector<Candidate> raw;  // Vectorscan's candidates for the chunk being scanned
  struct RuleState {
    bool has = false;
    std::uint64_t first_end = 0;
    std::uint64_t last_end = 0;
  };
  std::vector<RuleState> rule_state;
  struct Pending {
    unsigned rule;
    std::uint64_t end;
    std::uint64_t line_start;
  };
  std::vector<Pending> pending;
  std::set<std::pair<unsigned, std::uint64_t>> reported;
  std::vector<Match> matches;

  ~State() {
    if (stream) impl->give_back(stream, nullptr, nullptr);
  }

  [[nodiscard]] std::string_view at(std::uint64_t from, std::uint64_t to) const {
    return std::string_view(buf).substr(from - base, to - from);
  }

  std::uint64_t line_start_before(std::uint64_t end) const {
    const std::uint64_t floor = std::max(base, end > kLookBehind ? end - kLookBehind : 0);
    if (end <= floor) return floor;
    auto window = at(floor, end);
    auto nl = window.rfind('\n', window.size() > 0 ? window.size() - 1 : 0);
    // The candidate's own last byte may be a newline (multi-line patterns): look before it.
    if (nl != std::string_view::npos && nl + 1 == window.size()) {
      nl = window.size() > 1 ? window.rfind('\n', window.size() - 2) : std::string_view::npos;
    }
    return nl == std::string_view::npos ? floor : floor + nl + 1;
  }

  // Whether rule id may report in this file (its allowlisted paths, looked up once).
  bool allowed_here(unsigned id) {
    if (path_allowed.empty()) path_allowed.assign(impl->rules.size(), 0);
    auto& a = path_allowed[id];
    if (a == 0) {
      const auto& cr = impl->rules[id];
      a = ensure_compiled(cr) ? 1 : -1;
      const re2::StringPiece p(path.data(), path.size());
      for (const auto& re : cr.allow_paths) {
        if (a == 1 && RE2::PartialMatch(p, *re)) a = -1;
      }
    }
    return a == 1;
  }

  int on_candidate(unsigned id, std::uint64_t end) {
    if (id >= impl->rules.size() || !allowed_here(id)) return 0;
    if (rule_state.empty()) rule_state.resize(impl->rules.size());
    auto& rs = rule_state[id];
    if (rs.has && rs.last_end >= base && end >= rs.last_end && end <= rs.first_end + kRespread) {
      auto gap = at(rs.last_end, end);
      if (gap.find('\n') == std::string_view::npos) {
        rs.last_end = end;
        return 0;
      }
    }
    if (pending.size() >= kMaxPending) return 0;
    const auto& rule = *impl->rules[id].rule;
    const std::uint64_t back = std::min<std::uint64_t>(rule.span, 4096);
    const std::uint64_t start = rule.span > 0 ? std::max(base, end > back ? end - back : 0) : line_start_before(end);
    pending.push_back({id, end, start});
    rs = {true, end, end};
    return 0;
  }

  // Vectorscan's callback only notes the candidate: the chunk may not be kept yet.
  static int callback(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
    auto& s = *static_cast<State*>(ctx);
    if (s.raw.size() < kMaxPending) s.raw.push_back({id, static_cast<std::uint64_t>(to)});
    return 0;
  }

  // Drops kept bytes before `to` (the newlines in them are counted for line numbers).
  void drop_before(std::uint64_t to) {
    if (to <= base) return;
    auto dropped = at(base, to);
    lines_before += static_cast<std::uint64_t>(std::count(dropped.begin(), dropped.end(), '\n'));
    buf.erase(0, to - base);
    base = to;
  }

  // Takes a scanned chunk: kept whole when it or an earlier chunk raised candidates, else only
  // its last kTail bytes are kept (the look-behind of a candidate in the next chunk).
  void take(std::string_view chunk, bool eof) {
    const std::uint64_t end = base + buf.size() + chunk.size();
    if (raw.empty() && pending.empty()) {
      if (eof) return;  // no candidate can come: nothing need be kept
      if (chunk.size() >= kTail) {
        const auto skipped = chunk.substr(0, chunk.size() - kTail);
        lines_before += static_cast<std::uint64_t>(std::count(buf.begin(), buf.end(), '\n')) +
                        static_cast<std::uint64_t>(std::count(skipped.begin(), skipped.end(), '\n'));
        buf.assign(chunk.substr(chunk.size() - kTail));
        base = end - kTail;
      } else {
        buf.append(chunk);
        if (buf.size() > 2 * kTail) drop_before(end - kTail);
      }
      return;
    }
    buf.append(chunk);
    for (const auto& c : raw) on_candidate(c.rule, c.end);
    raw.clear();
    process(eof);
  }

  void confirm(unsigned id, std::uint64_t ws, std::uint64_t we) {
    const auto& cr = impl->rules[id];
    if (!ensure_compiled(cr)) return;
    const Rule& rule = *cr.rule;
    // The match is searched from ws, but the bytes before it are context (so that \b
    // at the window's start sees the byte before it).
    const auto text = at(base, we);
    const re2::StringPiece input(text.data(), text.size());
    const int groups = std::max(1, std::min(cr.re->NumberOfCapturingGroups() + 1, 10));
    re2::StringPiece m[10];
    std::size_t pos = static_cast<std::size_t>(ws - base);
    ws = base;
    for (int iter = 0; iter < 64 && pos <= text.size(); ++iter) {
      if (!cr.re->Match(input, pos, text.size(), RE2::UNANCHORED, m, groups)) break;
      const auto start = static_cast<std::size_t>(m[0].data() - text.data());
      pos = start + std::max<std::size_t>(m[0].size(), 1);
      const std::uint64_t abs = ws + start;
      if (reported.contains({id, abs})) continue;
      const int g = rule.secret_group < groups ? rule.secret_group : 0;
      if (m[g].empty()) continue;
      const std::string_view secret(m[g].data(), m[g].size());
      if (!accept(cr, text.substr(line_floor(start)), secret)) continue;
      reported.insert({id, abs});
      if (matches.size() >= impl->options.max_findings_per_file) return;
      record(rule, abs, static_cast<std::uint64_t>(secret.data() - text.data()) + ws, secret);
    }
  }

  // Keywords are looked for from the start of the match's line (bounded).
  [[nodiscard]] std::size_t line_floor(std::size_t start) const {
    const std::size_t floor = start > kLookBehind ? start - kLookBehind : 0;
    const auto nl = std::string_view(buf).substr(floor, start - floor).rfind('\n');
    return nl == std::string_view::npos ? floor : floor + nl + 1;
  }

  bool accept(const CompiledRule& cr, std::string_view window, std::string_view secret) const {
    const Rule& rule = *cr.rule;
    if (!rule.keywords.empty()) {
      auto low = lower(window);
      bool any = false;
      for (const auto& k : rule.keywords) {
        if (low.find(k) != std::string::npos) {
          any = true;
          break;
        }
      }
      if (!any) return false;
    }
    if (rule.entropy > 0 && shannon_entropy(secret) < rule.entropy) return false;
    const re2::StringPiece value(secret.data(), secret.size());
    auto low = lower(secret);
    for (const auto& w : rule.allow.stopwords) {
      if (low.find(w) != std::string::npos) return false;
    }
    for (const auto& w : impl->global_stopwords) {
      if (low.find(w) != std::string::npos) return false;
    }
    for (const auto& re : cr.allow_values) {
      if (RE2::PartialMatch(value, *re)) return false;
    }
    for (const auto& re : impl->global_values) {
      if (RE2::PartialMatch(value, *re)) return false;
    }
    return true;
  }

  void record(const Rule& rule, std::uint64_t match_start, std::uint64_t secret_start, std::string_view secret) {
    Match out;
    out.rule = &rule;
    out.secret = std::string(secret);
    out.offset = match_start;
    auto before = at(base, secret_start);
    out.line =
        static_cast<int>(lines_before + static_cast<std::uint64_t>(std::count(before.begin(), before.end(), '\n')) + 1);
    const auto nl = before.rfind('\n');
    const std::uint64_t line_start = nl == std::string_view::npos ? base : base + nl + 1;
    out.column = static_cast<int>(secret_start - line_start + 1);
    // The snippet: the line around the secret (bounded), the secret masked.
    const std::uint64_t end_avail = base + buf.size();
    const std::uint64_t from = std::max(line_start, secret_start > 60 ? secret_start - 60 : 0);
    std::uint64_t secret_end = secret_start + secret.size();
    std::uint64_t to = std::min(end_avail, secret_end + 40);
    auto tail = at(secret_end, to);
    if (auto e = tail.find('\n'); e != std::string_view::npos) to = secret_end + e;
    const auto first_line_end = secret.find('\n');
    std::string shown_secret = impl->options.show_secrets ? std::string(secret) : mask(secret);
    if (first_line_end != std::string_view::npos && !impl->options.show_secrets) {
      shown_secret = mask(secret.substr(0, first_line_end));
    }
    std::string snippet = std::string(at(from, secret_start)) + shown_secret + std::string(at(secret_end, to));
    out.snippet = util::printable(snippet);
    out.fingerprint = "sha256:" + util::sha256_hex(rule.id + "\n" + path + "\n" + std::string(secret));
    matches.push_back(std::move(out));
  }

  void process(bool eof) {
    std::vector<Pending> keep;
    const std::uint64_t end_avail = base + buf.size();
    for (const auto& p : pending) {
      const Rule& rule = *impl->rules[p.rule].rule;
      std::uint64_t we = 0;
      if (rule.span > 0) {
        if (end_avail >= p.end + rule.span) {
          we = p.end + rule.span;
        } else if (eof) {
          we = end_avail;
        }
      } else {
        auto rest = at(std::min(p.end, end_avail), std::min(end_avail, p.end + kLookAhead));
        if (auto nl = rest.find('\n'); nl != std::string_view::npos) {
          we = p.end + nl;
        } else if (end_avail >= p.end + kLookAhead) {
          we = p.end + kLookAhead;
        } else if (eof) {
          we = end_avail;
        }
      }
      if (we == 0) {
        keep.push_back(p);
        continue;
      }
      confirm(p.rule, std::max(p.line_start, base), we);
    }
    pending = std::move(keep);
    if (buf.size() >= kTrimAt) {
      std::uint64_t cut = end_avail - kKeepBytes;
      for (const auto& p : pending) cut = std::min(cut, p.line_start);
      drop_before(cut);
    }
  }

  void stop() {
    stopped = true;
    if (stream) {
      impl->give_back(stream, nullptr, nullptr);
      stream = nullptr;
    }
  }

  // Ends the stream: its end-of-data candidates are confirmed on the kept bytes.
  void end_stream() {
    if (!stream) return;
    impl->give_back(stream, &State::callback, this);
    stream = nullptr;
  }
};

FileScan::FileScan(std::unique_ptr<State> s) : s_(std::move(s)) {}
FileScan::~FileScan() = default;

bool FileScan::done() const noexcept {
  return s_->stopped;
}

void FileScan::feed(std::string_view chunk) {
  // A large chunk (a kept file fed whole) goes in slices, so the rolling window stays small.
  constexpr std::size_t kSlice = 1U << 20;
  while (chunk.size() > kSlice && !s_->stopped && !s_->zip) {
    feed_slice(chunk.substr(0, kSlice));
    chunk.remove_prefix(kSlice);
  }
  feed_slice(chunk);
}

void FileScan::feed_slice(std::string_view chunk) {
  auto& s = *s_;
  if (s.stopped || chunk.empty()) return;
  const auto& opt = s.impl->options;
  if (!s.started) {
    s.started = true;
    if (s.zip || (is_zip_name(s.path) && chunk.starts_with(std::string_view("PK\x03\x04", 4)))) {
      s.zip = true;
    } else if (looks_binary(chunk.substr(0, kSniffBytes))) {
      s.stop();
      return;
    } else {
      s.stream = s.impl->take_stream();
      if (s.stream == nullptr) {
        s.stop();
        return;
      }
    }
  }
  if (s.zip) {
    if (s.zip_data.size() + chunk.size() > opt.max_archive_bytes) {
      s.zip_data.clear();
      s.zip_data.shrink_to_fit();
      s.stop();
      return;
    }
    s.zip_data.append(chunk);
    return;
  }
  if (s.seen + chunk.size() > opt.max_file_bytes) chunk = chunk.substr(0, opt.max_file_bytes - s.seen);
  if (s.impl->total + chunk.size() > opt.max_total_bytes) {
    s.stop();
    return;
  }
  s.impl->total += chunk.size();
  s.seen += chunk.size();
  if (hs_scan_stream(s.stream, chunk.data(), static_cast<unsigned>(chunk.size()), 0, s.impl->scratch, &State::callback,
                     &s) != HS_SUCCESS) {
    s.stop();
    return;
  }
  // The file's last bytes (its known size, or the per-file limit): the stream ends while the
  // chunk is at hand, so a small file is scanned without copying it.
  const bool last = s.seen >= opt.max_file_bytes || (s.size_hint > 0 && s.seen >= s.size_hint);
  if (last) s.end_stream();
  s.take(chunk, last);
  if (last) s.stopped = true;
}

std::vector<Match> FileScan::finish() {
  auto& s = *s_;
  if (s.zip && !s.zip_data.empty()) {
    for (auto& [shown, m] : s.engine->scan_zip(s.zip_data, s.path)) {
      m.member = shown.substr(s.path.size() + 1);
      s.matches.push_back(std::move(m));
    }
    s.zip_data.clear();
  }
  if (s.stream) {
    s.end_stream();
    s.take({}, true);
  }
  // A generic rule's match is dropped where a specific rule found the same secret.
  std::vector<Match> out;
  for (auto& m : s.matches) {
    if (m.rule->fallback) {
      bool covered = false;
      for (const auto& o : s.matches) {
        if (o.rule->fallback || o.member != m.member) continue;
        const auto a0 = m.offset, a1 = m.offset + m.secret.size() + 64;
        const auto b0 = o.offset, b1 = o.offset + o.secret.size() + 64;
        if (a0 < b1 && b0 < a1 &&
            (m.secret.find(o.secret) != std::string::npos || o.secret.find(m.secret) != std::string::npos)) {
          covered = true;
          break;
        }
      }
      if (covered) continue;
    }
    out.push_back(std::move(m));
  }
  return out;
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

const Catalogue& Engine::catalogue() const noexcept {
  return impl_->cat;
}
const Options& Engine::options() const noexcept {
  return impl_->options;
}
std::vector<std::string> Engine::check_patterns() const {
  std::vector<std::string> out;
  for (const auto& cr : impl_->rules) {
    std::string what;
    if (!ensure_compiled(cr, &what) && !what.empty()) out.push_back(cr.rule->id + ": " + what);
  }
  return out;
}

std::uint64_t Engine::bytes_scanned() const noexcept {
  return impl_->total;
}

Result<std::unique_ptr<Engine>> Engine::build(Catalogue cat, Options options, core::Diagnostics& diags) {
  auto impl = std::make_unique<Impl>();
  for (const auto& id : disable_rules(cat, cat.disabled)) {
    diags.warning("unknown-rule", "", "cannot disable unknown secret rule " + id);
  }
  impl->cat = std::move(cat);
  impl->options = options;
  auto bad = [&](const Rule& r, std::string what) {
    core::Diagnostic d;
    d.code = "bad-pattern";
    d.file = r.file;
    d.item = r.id;
    d.message = std::move(what);
    diags.add(std::move(d));
  };
  std::string error;
  for (const auto& p : impl->cat.global_allow.paths) {
    if (auto re = compile_re2(p, false, error)) impl->global_paths.push_back(std::move(re));
  }
  for (const auto& p : impl->cat.global_allow.values) {
    if (auto re = compile_re2(p, false, error)) impl->global_values.push_back(std::move(re));
  }
  impl->global_stopwords = impl->cat.global_allow.stopwords;

  std::vector<CompiledRule> candidates;
  for (const auto& r : impl->cat.rules) {
    CompiledRule cr;
    cr.rule = &r;
    // A user's rules are checked now (bad ones reported and left out); the built-in ones
    // compile on first use (secret_test compiles every one of them).
    std::string what;
    if (!r.builtin && !ensure_compiled(cr, &what)) {
      bad(r, what);
      continue;
    }
    candidates.push_back(std::move(cr));
  }
  // One Vectorscan database for all rules; a pattern it rejects drops that rule only.
  for (std::size_t attempt = 0; attempt <= impl->cat.rules.size(); ++attempt) {
    if (candidates.empty()) return fail(ErrorCode::invalid_argument, "no secret rule compiled");
    std::vector<const char*> expressions;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      const Rule& r = *candidates[i].rule;
      expressions.push_back(r.prefilter.empty() ? r.pattern.c_str() : r.prefilter.c_str());
      unsigned f = HS_FLAG_PREFILTER | HS_FLAG_ALLOWEMPTY;
      if (r.case_insensitive) f |= HS_FLAG_CASELESS;
      flags.push_back(f);
      ids.push_back(static_cast<unsigned>(i));
    }
    // A cached database for exactly these patterns and this Vectorscan, if there is one.
    std::string key = hs_version();
    for (std::size_t i = 0; i < expressions.size(); ++i) key += fmt::format("\n{}\n{}", flags[i], expressions[i]);
    const std::filesystem::path cached = options.cache_dir.empty()
                                             ? std::filesystem::path()
                                             : std::filesystem::path(options.cache_dir) / "secret" /
                                                   ("rules-" + util::sha256_hex(key).substr(0, 32) + ".hsdb");
    if (!cached.empty()) {
      std::ifstream in(cached, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      hs_database_t* db = nullptr;
      if (!bytes.empty() && hs_deserialize_database(bytes.data(), bytes.size(), &db) == HS_SUCCESS) {
        impl->db = db;
        break;
      }
    }
    hs_compile_error_t* err = nullptr;
    hs_database_t* db = nullptr;
    if (hs_compile_multi(expressions.data(), flags.data(), ids.data(), static_cast<unsigned>(expressions.size()),
                         HS_MODE_STREAM, nullptr, &db, &err) == HS_SUCCESS) {
      impl->db = db;
      if (!cached.empty()) {
        char* bytes = nullptr;
        std::size_t length = 0;
        std::error_code ec;
        std::filesystem::create_directories(cached.parent_path(), ec);
        if (hs_serialize_database(db, &bytes, &length) == HS_SUCCESS) {
          // Written aside and renamed, so a concurrent run never reads half a file.
          const auto tmp = cached.string() + fmt::format(".{}.tmp", ::getpid());
          {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out.write(bytes, static_cast<std::streamsize>(length));
          }
          std::filesystem::rename(tmp, cached, ec);
          if (ec) std::filesystem::remove(tmp, ec);
          std::free(bytes);
        }
      }
      break;
    }
    const int which = err ? err->expression : -1;
    const std::string message = err && err->message ? err->message : "unknown error";
    hs_free_compile_error(err);
    if (which < 0 || static_cast<std::size_t>(which) >= candidates.size()) {
      return fail(ErrorCode::internal, "Vectorscan cannot compile the secret rules: " + message);
    }
    bad(*candidates[static_cast<std::size_t>(which)].rule, "Vectorscan rejects the pattern: " + message);
    candidates.erase(candidates.begin() + which);
  }
  if (!impl->db) return fail(ErrorCode::internal, "Vectorscan cannot compile the secret rules");
  if (hs_alloc_scratch(impl->db, &impl->scratch) != HS_SUCCESS) {
    return fail(ErrorCode::internal, "cannot allocate Vectorscan scratch space");
  }
  impl->rules = std::move(candidates);
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

std::unique_ptr<FileScan> Engine::open(std::string_view path, std::uint64_t size) const {
  auto s = std::make_unique<FileScan::State>();
  s->impl = impl_.get();
  s->engine = this;
  s->path = std::string(path);
  s->size_hint = size;
  if (!impl_->global_paths.empty()) {
    const re2::StringPiece p(path.data(), path.size());
    for (const auto& re : impl_->global_paths) {
      if (RE2::PartialMatch(p, *re)) s->stopped = true;
    }
  }
  // The stream is taken on the first chunk that is not binary.
  return std::unique_ptr<FileScan>(new FileScan(std::move(s)));
}

std::vector<Match> Engine::scan(std::string_view text, std::string_view path) const {
  auto f = open(path, text.size());
  // Feeding as one chunk: a text given whole is not sniffed as a zip member would be.
  f->feed(text);
  return f->finish();
}

std::vector<std::pair<std::string, Match>> Engine::scan_zip(std::string_view data, std::string_view path) const {
  std::vector<std::pair<std::string, Match>> out;
  struct archive* a = archive_read_new();
  if (!a) return out;
  archive_read_support_format_zip(a);
  if (archive_read_open_memory(a, data.data(), data.size()) != ARCHIVE_OK) {
    archive_read_free(a);
    return out;
  }
  struct archive_entry* entry = nullptr;
  std::size_t members = 0;
  std::uint64_t inflated = 0;
  std::vector<char> chunk(64 << 10);
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK && ++members <= 100'000) {
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    const char* name = archive_entry_pathname(entry);
    std::string member = name ? name : "";
    if (member.ends_with(".class")) continue;  // compiled code: binary
    const std::string shown = std::string(path) + "!" + member;
    auto scan = open(shown);
    while (!scan->done()) {
      la_ssize_t n = archive_read_data(a, chunk.data(), chunk.size());
      if (n <= 0) break;
      inflated += static_cast<std::uint64_t>(n);
      // Zip bombs: members inflate at most 16x the archive's own bound.
      if (inflated > impl_->options.max_archive_bytes * 16) break;
      scan->feed(std::string_view(chunk.data(), static_cast<std::size_t>(n)));
    }
    for (auto& m : scan->finish()) out.emplace_back(shown, std::move(m));
    if (inflated > impl_->options.max_archive_bytes * 16) break;
  }
  archive_read_free(a);
  return out;
}

std::string mask(std::string_view secret) {
  const std::size_t n = secret.size();
  const std::size_t keep = n >= 16 ? 4 : (n >= 8 ? 2 : 0);
  return std::string(secret.substr(0, keep)) + std::string(std::min<std::size_t>(n - keep, 16), '*');
}

bool looks_binary(std::string_view head) noexcept {
  return head.find('\0') != std::string_view::npos;
}

bool is_zip_name(std::string_view path) noexcept {
  for (std::string_view ext : {".jar", ".zip", ".war", ".ear", ".JAR", ".ZIP", ".whl", ".apk", ".aar"}) {
    if (path.ends_with(ext)) return true;
  }
  return false;
}

core::Finding to_finding(const Match& m, std::string_view path, const core::Target& target) {
  core::Finding f;
  f.id = m.rule->id;
  f.title = m.rule->title;
  f.severity = m.rule->severity;
  f.status = core::FindingStatus::fail;
  f.practice = core::Practice::access_control;
  f.target = target;
  f.location.path = std::string(path);
  f.location.line = m.line;
  f.location.column = m.column;
  f.evidence = m.snippet;
  f.remediation = m.rule->remediation.empty()
                      ? "Revoke and rotate this credential, then remove it from the source; in an image, deleting "
                        "it in a later layer does not remove it. Pass credentials at run time (secrets, build "
                        "secrets), not in files, ENV or build arguments."
                      : m.rule->remediation;
  f.references = m.rule->references;
  f.fingerprint = m.fingerprint;
  return f;
}

}  // namespace bulwark::secret
