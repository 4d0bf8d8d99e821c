// bulwark: container security in one binary. main() only dispatches to cli/.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "bulwark: container security in one binary.\n"
      "\n"
      "Examples:\n"
      "  bulwark sbom docker-archive:app.tar              packages in a 'docker save' archive, as a table\n"
      "  bulwark sbom oci:./layout:v1 --format cyclonedx  CycloneDX 1.5 JSON of an OCI layout\n"
      "  bulwark sbom docker://registry.example/app:1.2   pull from a registry (credentials: --creds, env, ~/.docker)\n"
      "  bulwark sbom ./rootfs --format json              a root filesystem on disk\n",
      "bulwark"};
  app.set_version_flag("--version", "bulwark " BULWARK_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  int exit_code = 0;
  for (const auto& command : bulwark::cli::registered_commands()) command.fn(app, exit_code);

  // Name an unknown subcommand instead of CLI11's "A subcommand is required".
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->check_name(argv[1])) known = true;
    }
    if (!known) {
      std::fprintf(stderr, "bulwark: error: unknown subcommand '%s' (see bulwark --help)\n", argv[1]);
      return 2;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return exit_code;
}
