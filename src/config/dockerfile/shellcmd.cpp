#include "config/dockerfile/shellcmd.hpp"

#include <algorithm>
#include <cctype>

namespace bulwark::config::dockerfile {

namespace {

bool is_assignment(std::string_view w) {
  const auto eq = w.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  if (!(std::isalpha(static_cast<unsigned char>(w[0])) || w[0] == '_')) return false;
  return std::all_of(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(eq),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

}  // namespace

std::string ShellCommand::name() const {
  if (argv.empty()) return {};
  const auto& a = argv[0];
  const auto slash = a.rfind('/');
  return slash == std::string::npos ? a : a.substr(slash + 1);
}

bool ShellCommand::has_arg(std::string_view a) const {
  return std::find(argv.begin() + (argv.empty() ? 0 : 1), argv.end(), a) != argv.end();
}

std::vector<std::string> ShellCommand::operands() const {
  std::vector<std::string> out;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (!argv[i].starts_with('-')) out.push_back(argv[i]);
  }
  return out;
}

ShellCommand ShellCommand::unwrapped() const {
  ShellCommand c = *this;
  for (int guard = 0; guard < 8 && !c.argv.empty(); ++guard) {
    const std::string n = c.name();
    std::size_t skip = 0;
    if (n == "sudo" || n == "doas") {
      skip = 1;
      while (skip < c.argv.size() && c.argv[skip].starts_with('-')) {
        const auto& o = c.argv[skip];
        ++skip;
        if ((o == "-u" || o == "-g" || o == "-U" || o == "-C" || o == "-h") && skip < c.argv.size()) ++skip;
      }
    } else if (n == "env") {
      skip = 1;
      while (skip < c.argv.size() && (c.argv[skip].starts_with('-') || is_assignment(c.argv[skip]))) ++skip;
    } else if (n == "nohup" || n == "time" || n == "exec" || n == "command" || n == "builtin" || n == "eatmydata") {
      skip = 1;
    } else if (n == "nice" || n == "ionice" || n == "stdbuf" || n == "timeout") {
      skip = 1;
      while (skip < c.argv.size() && c.argv[skip].starts_with('-')) ++skip;
      if (n == "timeout" && skip < c.argv.size()) ++skip;
    } else {
      break;
    }
    c.argv.erase(c.argv.begin(), c.argv.begin() + static_cast<std::ptrdiff_t>(std::min(skip, c.argv.size())));
  }
  return c;
}

ShellScript parse_shell(std::string_view s, int depth) {
  ShellScript out;
  ShellCommand cur;
  std::string word;
  bool in_word = false;
  bool redirect_next = false;  // the next word is a redirection target
  int pipeline = 0;
  bool next_pipes_in = false;

  auto end_word = [&] {
    if (!in_word) return;
    if (redirect_next) {
      redirect_next = false;
    } else if (cur.argv.empty() && is_assignment(word)) {
      cur.assignments.push_back(word);
    } else {
      cur.argv.push_back(word);
    }
    word.clear();
    in_word = false;
  };
  auto end_command = [&](bool pipe) {
    end_word();
    redirect_next = false;
    if (!cur.argv.empty() || !cur.assignments.empty()) {
      cur.pipeline = pipeline;
      cur.pipes_in = next_pipes_in;
      cur.pipes_out = pipe;
      out.commands.push_back(std::move(cur));
    }
    cur = ShellCommand{};
    next_pipes_in = pipe;
    if (!pipe) ++pipeline;
  };
  // Reads a $( … ) or ` … ` body starting after the opener; returns the index after it.
  auto read_subst = [&](std::size_t i, bool backtick) {
    int level = 1;
    std::size_t start = i;
    char quote = 0;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (quote) {
        if (c == '\\' && quote == '"') {
          ++i;
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if (c == '\\') {
        ++i;
        continue;
      }
      if (backtick) {
        if (c == '`') break;
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '(') {
        ++level;
      } else if (c == ')') {
        if (--level == 0) break;
      }
    }
    out.substitutions.emplace_back(s.substr(start, i - start));
    return std::min(i + 1, s.size());
  };

  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\\') {
      if (i + 1 < s.size() && s[i + 1] == '\n') {
        i += 2;
        continue;
      }
      if (i + 1 < s.size()) word.push_back(s[i + 1]);
      in_word = true;
      i += 2;
      continue;
    }
    if (c == '\'') {
      const auto end = s.find('\'', i + 1);
      const auto stop = end == std::string_view::npos ? s.size() : end;
      word.append(s.substr(i + 1, stop - i - 1));
      in_word = true;
      i = stop + 1;
      continue;
    }
    if (c == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size() &&
            (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == '$' || s[i + 1] == '`' || s[i + 1] == '\n')) {
          if (s[i + 1] != '\n') word.push_back(s[i + 1]);
          i += 2;
          continue;
        }
        if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '(') {
          const std::size_t from = i;
          i = read_subst(i + 2, false);
          word.append(s.substr(from, i - from));
          continue;
        }
        word.push_back(s[i]);
        ++i;
      }
      in_word = true;
      ++i;
      continue;
    }
    if (c == '$' && i + 1 < s.size() && s[i + 1] == '(') {
      const std::size_t from = i;
      i = read_subst(i + 2, false);
      word.append(s.substr(from, i - from));
      in_word = true;
      continue;
    }
    if (c == '`') {
      const std::size_t from = i;
      i = read_subst(i + 1, true);
      word.append(s.substr(from, i - from));
      in_word = true;
      continue;
    }
    if (c == '#' && !in_word) {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      end_word();
      ++i;
      continue;
    }
    if (c == '\n' || c == ';') {
      end_command(false);
      ++i;
      continue;
    }
    if (c == '&') {
      if (i + 1 < s.size() && s[i + 1] == '&') {
        end_command(false);
        i += 2;
        continue;
      }
      if (in_word && (word.ends_with(">") || word.ends_with("<"))) {  // 2>&1
        word.push_back(c);
        ++i;
        continue;
      }
      if (i + 1 < s.size() && s[i + 1] == '>') {  // &> file
        end_word();
        redirect_next = true;
        i += (i + 2 < s.size() && s[i + 2] == '>') ? 3 : 2;
        continue;
      }
      end_command(false);
      ++i;
      continue;
    }
    if (c == '|') {
      if (i + 1 < s.size() && s[i + 1] == '|') {
        end_command(false);
        i += 2;
        continue;
      }
      end_command(true);
      i += (i + 1 < s.size() && s[i + 1] == '&') ? 2 : 1;
      continue;
    }
    if (c == '(' || c == ')' || c == '{' || c == '}') {
      if (!in_word && (c == '(' || c == ')')) {
        end_command(false);
        ++i;
        continue;
      }
      if (!in_word && (i + 1 >= s.size() || s[i + 1] == ' ' || s[i + 1] == '\n' || s[i + 1] == ';')) {
        end_command(false);
        ++i;
        continue;
      }
      word.push_back(c);
      in_word = true;
      ++i;
      continue;
    }
    if (c == '>' || c == '<') {
      // `2>` and `>>`: the digits before belong to the redirection, not the command.
      if (in_word &&
          std::all_of(word.begin(), word.end(), [](char d) { return std::isdigit(static_cast<unsigned char>(d)); })) {
        word.clear();
        in_word = false;
      } else {
        end_word();
      }
      while (i < s.size() && (s[i] == '>' || s[i] == '<')) ++i;
      if (i < s.size() && s[i] == '&') {
        ++i;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '-')) ++i;
        continue;
      }
      redirect_next = true;
      continue;
    }
    word.push_back(c);
    in_word = true;
    ++i;
  }
  end_command(false);
  if (depth < 4) {
    const auto subs = out.substitutions;
    for (const auto& sub : subs) {
      auto inner = parse_shell(sub, depth + 1);
      for (auto& cmd : inner.commands) {
        cmd.pipeline += 100000 * (depth + 1) + static_cast<int>(out.commands.size());
        out.commands.push_back(std::move(cmd));
      }
    }
  }
  return out;
}

}  // namespace bulwark::config::dockerfile
