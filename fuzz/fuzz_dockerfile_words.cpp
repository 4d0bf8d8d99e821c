// Dockerfile word handling: shell-style variable expansion (${v:-x}, ${v#p}, quotes,
// escapes), BuildKit's word splitter, the JSON exec form, heredoc words, glob
// matching, and the RUN script reader (pipelines, $(...), `...`).
//
// Input: a selector byte (escape character and expansion options), then the text;
// for glob matching the first line is the pattern and the rest the text.
#include <string>

#include "common.hpp"
#include "config/dockerfile/parser.hpp"
#include "config/dockerfile/shell.hpp"
#include "config/dockerfile/shellcmd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark::config::dockerfile;
  auto [sel, text] = bulwark::fuzz::select(bulwark::fuzz::as_text(data, size));
  Environment env;
  env.set("HOME", "/root");
  env.set("EMPTY", "");
  env.set("PATH", "/usr/local/bin:/usr/bin");
  env.set("V", "1.2.3");
  ShellOptions options;
  options.escape = (sel & 1) ? '`' : '\\';
  options.raw_quotes = sel & 2;
  options.raw_escapes = sel & 4;
  options.skip_unset_env = sel & 8;
  options.skip_process_quotes = sel & 16;
  (void)expand(text, env, options);
  (void)parse_words(text, options.escape);
  (void)parse_json_array(text);
  (void)parse_shell(text);
  for (const auto& h : heredocs_from_line(text)) (void)h;
  (void)parse_heredoc(text);
  (void)go_quote(text);
  auto nl = text.find('\n');
  if (nl != std::string_view::npos) (void)glob_match(text.substr(0, nl), text.substr(nl + 1));
  return 0;
}
