// A small, safe reading of the shell scripts in RUN instructions: words (quotes
// removed), simple commands and the pipelines and lists joining them. It is enough
// to recognise `apt-get install -y foo=1`, `curl … | sh` or `chmod 777 /x`; it is not
// a shell (no expansion, no functions) and it never runs anything.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::config::dockerfile {

struct ShellCommand {
  std::vector<std::string> argv;         // words, quotes removed; leading VAR=x assignments dropped
  std::vector<std::string> assignments;  // the dropped leading VAR=x words
  int pipeline = 0;                      // commands joined by `|` share a pipeline number
  bool pipes_out = false;                // `cmd |` …
  bool pipes_in = false;                 // … `| cmd`

  [[nodiscard]] std::string name() const;  // basename of argv[0], "" when empty
  // The command with wrappers removed (sudo [opts], env [VAR=x], nohup, time, exec…).
  [[nodiscard]] ShellCommand unwrapped() const;
  [[nodiscard]] bool has_arg(std::string_view a) const;
  // Words after argv[0] that do not start with '-'.
  [[nodiscard]] std::vector<std::string> operands() const;
};

struct ShellScript {
  std::vector<ShellCommand> commands;
  std::vector<std::string> substitutions;  // the bodies of $(…) and `…`, also parsed into commands
};

[[nodiscard]] ShellScript parse_shell(std::string_view text, int depth = 0);

}  // namespace bulwark::config::dockerfile
