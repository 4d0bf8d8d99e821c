// bulwark: container security in one binary. main() only dispatches to cli/.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/help.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bulwark: container security in one binary.", "bulwark"};
  app.footer(
      "\nExamples:\n"
      "  bulwark audit                                     how secure is this machine, and what runs on it\n"
      "  bulwark image docker-daemon:nginx:1.27            known vulnerabilities in a local image\n"
      "  bulwark sbom docker-archive:app.tar -f cyclonedx  the packages of a 'docker save' archive, as CycloneDX\n"
      "  bulwark config ./k8s --format sarif -o k8s.sarif  misconfigured Kubernetes manifests, for code scanning\n"
      "\n"
      "bulwark COMMAND --help explains each command, with examples.");
  app.set_version_flag(
      "--version", [] { return bulwark::cli::version_text(); },
      "Version, commit, build type and the advisory database's age");
  app.require_subcommand(1);
  app.fallthrough(false);

  int exit_code = 0;
  for (const auto& command : bulwark::cli::registered_commands()) command.fn(app, exit_code);
  bulwark::cli::install_help(app);

  // Name an unknown subcommand or option, with the nearest real one, instead of CLI11's
  // "A subcommand is required" or "arguments were not expected" (which blames valid ones too).
  if (auto message = bulwark::cli::unknown_name_message(app, argc, argv)) {
    std::fprintf(stderr, "bulwark: error: %s\n", message->c_str());
    return 2;
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
