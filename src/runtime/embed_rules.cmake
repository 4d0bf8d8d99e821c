# Writes OUT: a C++ source holding the bytes of IN (the default rules), so the
# bulwark binary carries its rules without a file on disk.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," body "${hex}")
file(WRITE "${OUT}" "// Generated from rules/bulwark_rules.yaml by src/runtime/embed_rules.cmake. Do not edit.\n"
  "#include \"runtime/engine/default_rules.hpp\"\n"
  "namespace bulwark::runtime::engine {\n"
  "namespace { constexpr char kBytes[] = {${body} 0}; }\n"
  "std::string_view default_rules() noexcept { return {kBytes, sizeof kBytes - 1}; }\n"
  "}  // namespace bulwark::runtime::engine\n")
