# Installation and the Debian package (CPack):
#   cmake --build build --target package      writes build/bulwark_<version>_<arch>.deb
# The package holds /usr/bin/bulwark, man pages and bash/zsh/fish completions generated from the
# built binary's own --help (target bulwark_docs, cmake/gen-docs.sh), the systemd units of the
# server and the agent (deploy/systemd), and the default runtime rules and check catalogues
# (also embedded in the binary; installed for reading and for overrides).
include(GNUInstallDirs)

set(BULWARK_DOCS_DIR "${PROJECT_BINARY_DIR}/generated-docs")
add_custom_command(
  OUTPUT "${BULWARK_DOCS_DIR}/stamp"
  COMMAND bash "${PROJECT_SOURCE_DIR}/cmake/gen-docs.sh" "$<TARGET_FILE:bulwark>" "${BULWARK_DOCS_DIR}" "${PROJECT_VERSION}"
  COMMAND "${CMAKE_COMMAND}" -E touch "${BULWARK_DOCS_DIR}/stamp"
  DEPENDS bulwark "${PROJECT_SOURCE_DIR}/cmake/gen-docs.sh"
  COMMENT "Generating man pages and completions from bulwark --help"
  VERBATIM)
add_custom_target(bulwark_docs ALL DEPENDS "${BULWARK_DOCS_DIR}/stamp")

install(TARGETS bulwark RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(DIRECTORY "${BULWARK_DOCS_DIR}/man/" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
install(FILES "${BULWARK_DOCS_DIR}/completions/bulwark.bash" DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
        RENAME bulwark)
install(FILES "${BULWARK_DOCS_DIR}/completions/_bulwark" DESTINATION "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions")
install(FILES "${BULWARK_DOCS_DIR}/completions/bulwark.fish" DESTINATION "${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d")
install(FILES "${PROJECT_SOURCE_DIR}/deploy/systemd/bulwark-server.service"
              "${PROJECT_SOURCE_DIR}/deploy/systemd/bulwark-agent.service"
              "${PROJECT_SOURCE_DIR}/deploy/systemd/bulwark-authz.service" DESTINATION lib/systemd/system)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/rules/" DESTINATION "${CMAKE_INSTALL_DATADIR}/bulwark/rules")
# The secret rules stay out: they are embedded in the binary, and their examples (key-shaped test
# strings) would make every secret scan of a machine or image with bulwark on it report them.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/checks/" DESTINATION "${CMAKE_INSTALL_DATADIR}/bulwark/checks"
        PATTERN "secrets" EXCLUDE)
install(FILES "${PROJECT_SOURCE_DIR}/README.md" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(FILES "${PROJECT_SOURCE_DIR}/deploy/debian/copyright" DESTINATION "${CMAKE_INSTALL_DOCDIR}")

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "bulwark")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "bulwark")
set(CPACK_PACKAGE_CONTACT "bulwark maintainers <bulwark@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "container security in one binary")
set(CPACK_PACKAGE_DESCRIPTION
    "bulwark scans images for vulnerable packages, secrets and weak configuration, writes SBOMs, checks \
Dockerfiles, Compose files and Kubernetes manifests, audits the Docker host and its running containers \
(CIS Docker Benchmark), and watches container activity at run time with eBPF. Start with: bulwark audit")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_OUTPUT_FILE_PREFIX "${PROJECT_BINARY_DIR}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# The runtime libraries, as dpkg-shlibdeps finds them in the binary (libfmt9, libcurl4, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "docker.io | podman, containerd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_SOURCE_DIR}/deploy/debian/postinst"
                                       "${PROJECT_SOURCE_DIR}/deploy/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
