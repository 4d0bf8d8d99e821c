// bulwark-test-import DB PATH...: imports advisory files into DB (created if needed)
// and prints the import counts. A test helper only; users run `bulwark db import`.
#include <cstdio>
#include <filesystem>
#include <vector>

#include "vuln/db/import.hpp"
#include "vuln/db/store.hpp"

int main(int argc, char** argv) {
  using namespace bulwark::vuln::db;
  if (argc < 3) {
    std::fprintf(stderr, "usage: bulwark-test-import DB PATH...\n");
    return 2;
  }
  auto store = Store::open(argv[1], OpenMode::read_write);
  if (!store) {
    std::fprintf(stderr, "bulwark-test-import: %s\n", store.error().describe().c_str());
    return 3;
  }
  std::vector<std::filesystem::path> paths(argv + 2, argv + argc);
  bulwark::core::Diagnostics diags;
  auto report = import_paths(paths, *store, diags);
  if (!report) {
    std::fprintf(stderr, "bulwark-test-import: %s\n", report.error().describe().c_str());
    return 3;
  }
  std::printf("records %zu inserted %zu updated %zu unchanged %zu rejected %zu\n", report->records, report->inserted,
              report->updated, report->unchanged, report->rejected);
  return 0;
}
