// The filter fields: Falco's evt, proc, thread, user, group, fd, fs.path and
// container classes (the subset the stable rules use, and a little more), bound
// at compile time and extracted from an event plus the process/fd state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/engine/condition.hpp"
#include "runtime/events/event.hpp"
#include "runtime/state/process_table.hpp"

namespace bulwark::runtime::engine {

enum class FieldType { string, number, boolean, ipaddr, ipnet };

enum class FieldArg {
  none,      // proc.name
  index,     // proc.aname[2] (optional: without it, any ancestor)
  required,  // fd.types[0]-style where an index is needed
  key,       // evt.arg.flags / evt.arg[0]
};

struct FieldDef {
  std::string_view name;
  FieldType type;
  FieldArg arg;
  int id;
  std::string_view desc;
};

// Every supported field, for documentation and --list-fields.
[[nodiscard]] std::span<const FieldDef> all_fields();
// Finds a field; evt.arg.X / evt.rawarg.X resolve to the evt.arg field with key X.
[[nodiscard]] const FieldDef* find_field(std::string_view name, std::string* key_out = nullptr);

// A field reference resolved for evaluation.
struct BoundField {
  const FieldDef* def = nullptr;
  int index = -1;   // for [N]
  std::string key;  // for evt.arg.X
  std::vector<Transformer> transformers;
  std::string text;  // as written, for outputs ("proc.aname[2]")
  [[nodiscard]] FieldType result_type() const;
};

// Binds a parsed field expression; on failure returns false with a message.
[[nodiscard]] bool bind_field(const FieldExpr& expr, BoundField& out, std::string& error);

// Reusable storage for extracted values (avoids allocations per event).
struct FieldValues {
  std::vector<std::string> strs;
  std::size_t count = 0;
  std::int64_t num = 0;  // numeric fields: the value (count is 1)
  bool numeric = false;
  void clear() {
    count = 0;
    numeric = false;
  }
  void add(std::string_view s) {
    if (count == strs.size()) strs.emplace_back();
    strs[count++].assign(s.data(), s.size());
  }
  void set_num(std::int64_t n) {
    clear();
    numeric = true;
    num = n;
    add(std::to_string(n));
  }
  [[nodiscard]] std::string_view at(std::size_t i) const { return strs[i]; }
};

// Resolves user and group names (host /etc/passwd and /etc/group, read once).
class NameDb {
 public:
  explicit NameDb(std::string root = "/");
  [[nodiscard]] std::string_view user(std::uint32_t uid);
  [[nodiscard]] std::string_view group(std::uint32_t gid);
  [[nodiscard]] std::string_view shell(std::uint32_t uid);
  [[nodiscard]] std::string_view home(std::uint32_t uid);

 private:
  void load();
  std::string root_;
  bool loaded_ = false;
  struct User {
    std::string name, home, shell;
  };
  std::vector<std::pair<std::uint32_t, User>> users_;
  std::vector<std::pair<std::uint32_t, std::string>> groups_;
};

struct EvalContext {
  const Event* evt = nullptr;
  const Process* proc = nullptr;
  const FdEntry* fd = nullptr;
  ProcessTable* state = nullptr;
  NameDb* names = nullptr;
  std::string_view hostname;
  std::uint64_t evt_num = 0;
  // For failed opens the fd is described by the event alone (fd.num = -1).
  FdEntry scratch_fd;
  bool fd_from_event = false;
};

// Prepares a context for an event (finds the process and fd).
void prepare_context(EvalContext& ctx, const Event& e, ProcessTable& state);

// Extracts a field; false when the field has no value for this event (Falco's <NA>).
[[nodiscard]] bool extract(const BoundField& f, EvalContext& ctx, FieldValues& out);

// Renderings shared with outputs.
[[nodiscard]] std::string open_flags_string(std::uint64_t flags);
[[nodiscard]] std::string caps_string(std::uint64_t mask);
[[nodiscard]] std::string errno_name(std::int64_t err);

}  // namespace bulwark::runtime::engine
