// The check catalogue as one constexpr table (see catalogue.hpp). Titles are
// bulwark's own short phrasing of each recommendation; ids follow the CIS
// Docker Benchmark 1.6.0 numbering, which 1.7.0 keeps. 1.8.0 inserts a new 2.7
// ("devicemapper storage driver is not used") and shifts 1.6.0's 2.7-2.18 to
// 2.8-2.19; that mapping comes from a third-party extraction of 1.8.0 and is
// recorded in cis_1_8.
#include "host/catalogue.hpp"

#include <array>

namespace bulwark::host {

namespace {

using A = Assessment;
using P = core::Practice;
using S = Section;
using V = core::Severity;

constexpr auto kChecks = std::to_array<CheckDef>({
    // §1 Host configuration
    {"BLWK-CIS-1.1.1", "1.1.1", "", "Docker's root directory is on its own partition", 1, S::host, P::host_hardening,
     V::low, A::automated,
     "Put the Docker root directory (default /var/lib/docker) on a separate partition or volume."},
    {"BLWK-CIS-1.1.2", "1.1.2", "", "Only trusted users can control the Docker daemon", 1, S::host, P::access_control,
     V::high, A::manual, "Members of the docker group are root on the host: keep only trusted administrators in it."},
    {"BLWK-CIS-1.1.3", "1.1.3", "", "The Docker daemon binary is audited", 1, S::host, P::monitoring, V::low,
     A::automated,
     "Add an audit rule such as `-w /usr/bin/dockerd -k docker` to /etc/audit/rules.d/ and reload auditd."},
    {"BLWK-CIS-1.1.4", "1.1.4", "", "/run/containerd is audited", 1, S::host, P::monitoring, V::low, A::automated,
     "Add `-a exit,always -F path=/run/containerd -F perm=war -k docker` to the audit rules."},
    {"BLWK-CIS-1.1.5", "1.1.5", "", "/var/lib/docker is audited", 1, S::host, P::monitoring, V::low, A::automated,
     "Add `-a exit,always -F path=/var/lib/docker -F perm=war -k docker` to the audit rules."},
    {"BLWK-CIS-1.1.6", "1.1.6", "", "/etc/docker is audited", 1, S::host, P::monitoring, V::low, A::automated,
     "Add `-w /etc/docker -k docker` to the audit rules."},
    {"BLWK-CIS-1.1.7", "1.1.7", "", "docker.service is audited", 2, S::host, P::monitoring, V::low, A::automated,
     "Add a watch rule (`-w PATH -k docker`) for the docker.service unit file."},
    {"BLWK-CIS-1.1.8", "1.1.8", "", "containerd.sock is audited", 2, S::host, P::monitoring, V::low, A::automated,
     "Add a watch rule for /run/containerd/containerd.sock."},
    {"BLWK-CIS-1.1.9", "1.1.9", "", "docker.socket is audited", 2, S::host, P::monitoring, V::low, A::automated,
     "Add a watch rule for the docker.socket unit file."},
    {"BLWK-CIS-1.1.10", "1.1.10", "", "/etc/default/docker is audited", 2, S::host, P::monitoring, V::low, A::automated,
     "Add a watch rule for /etc/default/docker."},
    {"BLWK-CIS-1.1.11", "1.1.11", "", "/etc/docker/daemon.json is audited", 2, S::host, P::monitoring, V::low,
     A::automated, "Add a watch rule for /etc/docker/daemon.json."},
    {"BLWK-CIS-1.1.12", "1.1.12", "", "/etc/containerd/config.toml is audited", 2, S::host, P::monitoring, V::low,
     A::automated, "Add a watch rule for /etc/containerd/config.toml."},
    {"BLWK-CIS-1.1.13", "1.1.13", "", "/etc/sysconfig/docker is audited", 2, S::host, P::monitoring, V::low,
     A::automated, "Add a watch rule for /etc/sysconfig/docker."},
    {"BLWK-CIS-1.1.14", "1.1.14", "", "The containerd binary is audited", 2, S::host, P::monitoring, V::low,
     A::automated, "Add a watch rule for /usr/bin/containerd."},
    {"BLWK-CIS-1.1.15", "1.1.15", "", "The containerd-shim binary is audited", 2, S::host, P::monitoring, V::low,
     A::automated, "Add a watch rule for /usr/bin/containerd-shim."},
    {"BLWK-CIS-1.1.16", "1.1.16", "", "The containerd-shim-runc-v1 binary is audited", 2, S::host, P::monitoring,
     V::low, A::automated, "Add a watch rule for /usr/bin/containerd-shim-runc-v1."},
    {"BLWK-CIS-1.1.17", "1.1.17", "", "The containerd-shim-runc-v2 binary is audited", 2, S::host, P::monitoring,
     V::low, A::automated, "Add a watch rule for /usr/bin/containerd-shim-runc-v2."},
    {"BLWK-CIS-1.1.18", "1.1.18", "", "The runc binary is audited", 2, S::host, P::monitoring, V::low, A::automated,
     "Add a watch rule for /usr/bin/runc."},
    {"BLWK-CIS-1.2.1", "1.2.1", "", "The container host is hardened", 1, S::host, P::host_hardening, V::medium,
     A::manual, "Harden the host OS (a minimal install, patched, a host hardening benchmark applied)."},
    {"BLWK-CIS-1.2.2", "1.2.2", "", "Docker is up to date", 1, S::host, P::up_to_date, V::medium, A::manual,
     "Keep the Docker engine on a supported, patched release."},

    // §2 Docker daemon configuration
    {"BLWK-CIS-2.1", "2.1", "", "The daemon runs as a non-root user where possible (rootless)", 1, S::daemon,
     P::limit_privileges, V::medium, A::manual, "Consider rootless mode (dockerd-rootless-setuptool.sh)."},
    {"BLWK-CIS-2.2", "2.2", "", "Traffic between containers on the default bridge is restricted (icc)", 1, S::daemon,
     P::network_policy, V::medium, A::automated,
     "Set \"icc\": false in daemon.json (or --icc=false) and link containers through user-defined networks."},
    {"BLWK-CIS-2.3", "2.3", "", "The daemon log level is info", 1, S::daemon, P::monitoring, V::low, A::automated,
     "Set \"log-level\": \"info\" in daemon.json or drop --log-level."},
    {"BLWK-CIS-2.4", "2.4", "", "Docker may change iptables", 1, S::daemon, P::network_policy, V::medium, A::automated,
     "Do not set \"iptables\": false (or --iptables=false)."},
    {"BLWK-CIS-2.5", "2.5", "", "No insecure registries are used", 1, S::daemon, P::trusted_base_image, V::high,
     A::automated, "Remove \"insecure-registries\" (and --insecure-registry); give registries TLS certificates."},
    {"BLWK-CIS-2.6", "2.6", "", "The aufs storage driver is not used", 1, S::daemon, P::host_hardening, V::medium,
     A::automated, "Use overlay2."},
    {"BLWK-CIS-2.7", "2.7", "2.8", "TLS authentication protects a TCP daemon socket", 1, S::daemon, P::access_control,
     V::critical, A::automated,
     "Serve TCP only with \"tlsverify\": true and tlscacert, tlscert and tlskey set, or do not listen on TCP."},
    {"BLWK-CIS-2.8", "2.8", "2.9", "Default ulimits are set", 1, S::daemon, P::limit_privileges, V::low, A::manual,
     "Set \"default-ulimits\" (e.g. nofile, nproc) in daemon.json."},
    {"BLWK-CIS-2.9", "2.9", "2.10", "User namespace remapping is enabled", 2, S::daemon, P::isolation, V::medium,
     A::automated, "Set \"userns-remap\": \"default\" in daemon.json (containers' root is then not the host's root)."},
    {"BLWK-CIS-2.10", "2.10", "2.11", "The default cgroup parent is used", 2, S::daemon, P::isolation, V::low,
     A::automated, "Leave \"cgroup-parent\" unset unless it was chosen on purpose."},
    {"BLWK-CIS-2.11", "2.11", "2.12", "The base device size is not changed", 2, S::daemon, P::host_hardening, V::low,
     A::automated, "Remove dm.basesize from \"storage-opts\" unless needed."},
    {"BLWK-CIS-2.12", "2.12", "2.13", "An authorization plugin controls Docker client commands", 2, S::daemon,
     P::access_control, V::medium, A::automated, "Configure \"authorization-plugins\" in daemon.json."},
    {"BLWK-CIS-2.13", "2.13", "2.14", "Logs go to a central, remote place", 2, S::daemon, P::monitoring, V::low,
     A::automated, "Set \"log-driver\" to syslog, journald, gelf, fluentd or another remote driver."},
    {"BLWK-CIS-2.14", "2.14", "2.15", "Containers cannot acquire new privileges by default", 1, S::daemon,
     P::limit_privileges, V::medium, A::automated, "Set \"no-new-privileges\": true in daemon.json."},
    {"BLWK-CIS-2.15", "2.15", "2.16", "Live restore is enabled", 1, S::daemon, P::host_hardening, V::low, A::automated,
     "Set \"live-restore\": true in daemon.json (not with swarm)."},
    {"BLWK-CIS-2.16", "2.16", "2.17", "The userland proxy is disabled", 1, S::daemon, P::host_hardening, V::low,
     A::automated, "Set \"userland-proxy\": false in daemon.json."},
    {"BLWK-CIS-2.17", "2.17", "2.18", "A daemon-wide custom seccomp profile is applied where appropriate", 2, S::daemon,
     P::limit_privileges, V::low, A::manual,
     "Set \"seccomp-profile\" to a reviewed profile if the default does not fit."},
    {"BLWK-CIS-2.18", "2.18", "2.19", "Experimental features are off in production", 1, S::daemon, P::host_hardening,
     V::low, A::automated, "Remove \"experimental\": true and --experimental."},

    // §3 Docker daemon configuration files
    {"BLWK-CIS-3.1", "3.1", "", "docker.service is owned by root:root", 1, S::files, P::access_control, V::medium,
     A::automated, "chown root:root on the docker.service unit file."},
    {"BLWK-CIS-3.2", "3.2", "", "docker.service permissions are 644 or stricter", 1, S::files, P::access_control,
     V::medium, A::automated, "chmod 644 on the docker.service unit file."},
    {"BLWK-CIS-3.3", "3.3", "", "docker.socket is owned by root:root", 1, S::files, P::access_control, V::medium,
     A::automated, "chown root:root on the docker.socket unit file."},
    {"BLWK-CIS-3.4", "3.4", "", "docker.socket permissions are 644 or stricter", 1, S::files, P::access_control,
     V::medium, A::automated, "chmod 644 on the docker.socket unit file."},
    {"BLWK-CIS-3.5", "3.5", "", "/etc/docker is owned by root:root", 1, S::files, P::access_control, V::medium,
     A::automated, "chown root:root /etc/docker."},
    {"BLWK-CIS-3.6", "3.6", "", "/etc/docker permissions are 755 or stricter", 1, S::files, P::access_control,
     V::medium, A::automated, "chmod 755 /etc/docker."},
    {"BLWK-CIS-3.7", "3.7", "", "Registry certificates are owned by root:root", 1, S::files, P::access_control,
     V::medium, A::automated, "chown root:root /etc/docker/certs.d/*/*."},
    {"BLWK-CIS-3.8", "3.8", "", "Registry certificate permissions are 444 or stricter", 1, S::files, P::access_control,
     V::medium, A::automated, "chmod 444 /etc/docker/certs.d/*/*."},
    {"BLWK-CIS-3.9", "3.9", "", "The TLS CA certificate is owned by root:root", 1, S::files, P::access_control,
     V::medium, A::automated, "chown root:root on the file named by tlscacert."},
    {"BLWK-CIS-3.10", "3.10", "", "TLS CA certificate permissions are 444 or stricter", 1, S::files, P::access_control,
     V::medium, A::automated, "chmod 444 on the file named by tlscacert."},
    {"BLWK-CIS-3.11", "3.11", "", "The daemon's server certificate is owned by root:root", 1, S::files,
     P::access_control, V::medium, A::automated, "chown root:root on the file named by tlscert."},
    {"BLWK-CIS-3.12", "3.12", "", "Server certificate permissions are 444 or stricter", 1, S::files, P::access_control,
     V::medium, A::automated, "chmod 444 on the file named by tlscert."},
    {"BLWK-CIS-3.13", "3.13", "", "The daemon's TLS key is owned by root:root", 1, S::files, P::access_control, V::high,
     A::automated, "chown root:root on the file named by tlskey."},
    {"BLWK-CIS-3.14", "3.14", "", "TLS key permissions are 400", 1, S::files, P::access_control, V::high, A::automated,
     "chmod 400 on the file named by tlskey."},
    {"BLWK-CIS-3.15", "3.15", "", "The Docker socket is owned by root:docker", 1, S::files, P::access_control, V::high,
     A::automated, "chown root:docker /var/run/docker.sock."},
    {"BLWK-CIS-3.16", "3.16", "", "Docker socket permissions are 660 or stricter", 1, S::files, P::access_control,
     V::high, A::automated, "chmod 660 /var/run/docker.sock."},
    {"BLWK-CIS-3.17", "3.17", "", "daemon.json is owned by root:root", 2, S::files, P::access_control, V::medium,
     A::automated, "chown root:root /etc/docker/daemon.json."},
    {"BLWK-CIS-3.18", "3.18", "", "daemon.json permissions are 644 or stricter", 2, S::files, P::access_control,
     V::medium, A::automated, "chmod 644 /etc/docker/daemon.json."},
    {"BLWK-CIS-3.19", "3.19", "", "/etc/default/docker is owned by root:root", 2, S::files, P::access_control, V::low,
     A::automated, "chown root:root /etc/default/docker."},
    {"BLWK-CIS-3.20", "3.20", "", "/etc/default/docker permissions are 644 or stricter", 2, S::files, P::access_control,
     V::low, A::automated, "chmod 644 /etc/default/docker."},
    {"BLWK-CIS-3.21", "3.21", "", "/etc/sysconfig/docker is owned by root:root", 2, S::files, P::access_control, V::low,
     A::automated, "chown root:root /etc/sysconfig/docker."},
    {"BLWK-CIS-3.22", "3.22", "", "/etc/sysconfig/docker permissions are 644 or stricter", 2, S::files,
     P::access_control, V::low, A::automated, "chmod 644 /etc/sysconfig/docker."},
    {"BLWK-CIS-3.23", "3.23", "", "The containerd socket is owned by root:root", 1, S::files, P::access_control,
     V::high, A::automated, "chown root:root /run/containerd/containerd.sock."},
    {"BLWK-CIS-3.24", "3.24", "", "containerd socket permissions are 660 or stricter", 1, S::files, P::access_control,
     V::high, A::automated, "chmod 660 /run/containerd/containerd.sock."},

    // §4 Container images and build files
    {"BLWK-CIS-4.1", "4.1", "", "The image runs as a non-root user", 1, S::images, P::least_privilege, V::medium,
     A::automated, "Create a user in the Dockerfile and switch to it with USER."},
    {"BLWK-CIS-4.2", "4.2", "", "Containers use only trusted base images", 1, S::images, P::trusted_base_image,
     V::medium, A::manual, "Build from base images you trust and verify (signed, from a known registry)."},
    {"BLWK-CIS-4.3", "4.3", "", "No unnecessary packages are installed", 1, S::images, P::trusted_base_image, V::low,
     A::manual, "Keep images minimal; review `bulwark sbom` output."},
    {"BLWK-CIS-4.4", "4.4", "", "Images are scanned and rebuilt for security patches", 1, S::images,
     P::vulnerability_scan, V::medium, A::manual, "Scan images regularly and rebuild them on fixes."},
    {"BLWK-CIS-4.5", "4.5", "", "Content trust is enabled", 2, S::images, P::trusted_base_image, V::low, A::automated,
     "export DOCKER_CONTENT_TRUST=1 for the clients that pull and run images."},
    {"BLWK-CIS-4.6", "4.6", "", "The image has a HEALTHCHECK", 1, S::images, P::monitoring, V::low, A::automated,
     "Add a HEALTHCHECK instruction to the Dockerfile."},
    {"BLWK-CIS-4.7", "4.7", "", "Update instructions are not used alone", 1, S::images, P::up_to_date, V::low,
     A::automated, "Combine `apt-get update` with the install in one RUN (and pin versions)."},
    {"BLWK-CIS-4.8", "4.8", "", "setuid and setgid permissions are removed", 2, S::images, P::least_privilege,
     V::medium, A::automated, "Remove the s bits from files that do not need them (chmod a-s) in the Dockerfile."},
    {"BLWK-CIS-4.9", "4.9", "", "COPY is used instead of ADD", 1, S::images, P::trusted_base_image, V::low,
     A::automated, "Use COPY; ADD fetches URLs and unpacks archives."},
    {"BLWK-CIS-4.10", "4.10", "", "Secrets are not stored in the image", 1, S::images, P::access_control, V::high,
     A::automated, "Pass secrets at run time (BuildKit secrets, mounted files), never through ENV, ARG or layers."},
    {"BLWK-CIS-4.11", "4.11", "", "Only verified packages are installed", 2, S::images, P::trusted_base_image,
     V::medium, A::manual, "Install packages with signature checks on (no --allow-unauthenticated, --nogpgcheck)."},
    {"BLWK-CIS-4.12", "4.12", "", "Signed artifacts are validated", 1, S::images, P::trusted_base_image, V::medium,
     A::manual, "Verify image signatures before running them."},

    // §5 Container runtime
    {"BLWK-CIS-5.1", "5.1", "", "Swarm mode is not enabled unless needed", 1, S::containers, P::host_hardening, V::low,
     A::automated, "docker swarm leave on hosts that do not need swarm."},
    {"BLWK-CIS-5.2", "5.2", "", "An AppArmor profile is applied", 1, S::containers, P::limit_privileges, V::medium,
     A::automated, "Run with the docker-default or a custom AppArmor profile (--security-opt apparmor=PROFILE)."},
    {"BLWK-CIS-5.3", "5.3", "", "SELinux security options are set", 2, S::containers, P::limit_privileges, V::low,
     A::automated, "Run with --security-opt label=... on SELinux hosts."},
    {"BLWK-CIS-5.4", "5.4", "", "Linux capabilities are restricted", 1, S::containers, P::limit_privileges, V::high,
     A::automated, "Drop all capabilities (--cap-drop ALL) and add back only the few needed; never add SYS_ADMIN."},
    {"BLWK-CIS-5.5", "5.5", "", "The container is not privileged", 1, S::containers, P::limit_privileges, V::critical,
     A::automated, "Do not use --privileged; grant the specific capability or device instead."},
    {"BLWK-CIS-5.6", "5.6", "", "Sensitive host directories are not mounted", 1, S::containers, P::isolation,
     V::critical, A::automated,
     "Do not bind-mount /, /boot, /dev, /etc, /lib, /proc, /sys or /usr (at least not read-write)."},
    {"BLWK-CIS-5.7", "5.7", "", "sshd does not run in the container", 1, S::containers, P::least_privilege, V::medium,
     A::automated, "Remove sshd; use docker exec for access."},
    {"BLWK-CIS-5.8", "5.8", "", "Privileged host ports are not mapped", 1, S::containers, P::network_policy, V::medium,
     A::automated, "Publish on host ports above 1024."},
    {"BLWK-CIS-5.9", "5.9", "", "Only needed ports are open", 1, S::containers, P::network_policy, V::low, A::manual,
     "Publish only the ports the service needs."},
    {"BLWK-CIS-5.10", "5.10", "", "The host's network namespace is not shared", 1, S::containers, P::isolation, V::high,
     A::automated, "Do not use --network host."},
    {"BLWK-CIS-5.11", "5.11", "", "Memory usage is limited", 1, S::containers, P::limit_privileges, V::medium,
     A::automated, "Set --memory."},
    {"BLWK-CIS-5.12", "5.12", "", "CPU priority is set", 1, S::containers, P::limit_privileges, V::low, A::automated,
     "Set --cpu-shares or --cpus."},
    {"BLWK-CIS-5.13", "5.13", "", "The root filesystem is read-only", 1, S::containers, P::least_privilege, V::medium,
     A::automated, "Run with --read-only and mount writable volumes or tmpfs only where needed."},
    {"BLWK-CIS-5.14", "5.14", "", "Published ports are bound to a specific host interface", 1, S::containers,
     P::network_policy, V::medium, A::automated, "Publish as -p IP:HOSTPORT:PORT rather than on 0.0.0.0."},
    {"BLWK-CIS-5.15", "5.15", "", "The on-failure restart policy allows at most 5 retries", 1, S::containers,
     P::host_hardening, V::low, A::automated, "Use --restart on-failure:5."},
    {"BLWK-CIS-5.16", "5.16", "", "The host's process namespace is not shared", 1, S::containers, P::isolation, V::high,
     A::automated, "Do not use --pid host."},
    {"BLWK-CIS-5.17", "5.17", "", "The host's IPC namespace is not shared", 1, S::containers, P::isolation, V::high,
     A::automated, "Do not use --ipc host."},
    {"BLWK-CIS-5.18", "5.18", "", "Host devices are not exposed directly", 1, S::containers, P::isolation, V::medium,
     A::automated, "Do not pass --device unless needed, and then without m (mknod) permission."},
    {"BLWK-CIS-5.19", "5.19", "", "Default ulimits are overridden where needed", 1, S::containers, P::limit_privileges,
     V::low, A::manual, "Set --ulimit for containers that need other limits."},
    {"BLWK-CIS-5.20", "5.20", "", "Mount propagation is not shared", 1, S::containers, P::isolation, V::medium,
     A::automated, "Do not mount volumes with shared or rshared propagation."},
    {"BLWK-CIS-5.21", "5.21", "", "The host's UTS namespace is not shared", 1, S::containers, P::isolation, V::medium,
     A::automated, "Do not use --uts host."},
    {"BLWK-CIS-5.22", "5.22", "", "The default seccomp profile is not disabled", 1, S::containers, P::limit_privileges,
     V::high, A::automated, "Do not use --security-opt seccomp=unconfined."},
    {"BLWK-CIS-5.23", "5.23", "", "docker exec is not used with --privileged", 2, S::containers, P::limit_privileges,
     V::medium, A::manual, "Do not run docker exec --privileged."},
    {"BLWK-CIS-5.24", "5.24", "", "docker exec is not used with --user=root", 2, S::containers, P::limit_privileges,
     V::medium, A::manual, "Do not run docker exec --user=root."},
    {"BLWK-CIS-5.25", "5.25", "", "The container's cgroup is confirmed", 1, S::containers, P::isolation, V::low,
     A::automated, "Do not set --cgroup-parent unless needed."},
    {"BLWK-CIS-5.26", "5.26", "", "The container cannot acquire new privileges", 1, S::containers, P::limit_privileges,
     V::medium, A::automated, "Run with --security-opt no-new-privileges (or set it daemon-wide)."},
    {"BLWK-CIS-5.27", "5.27", "", "Container health is checked at run time", 1, S::containers, P::monitoring, V::low,
     A::automated, "Add a HEALTHCHECK to the image or --health-cmd to the run."},
    {"BLWK-CIS-5.28", "5.28", "", "Docker commands always use the latest version of their image", 1, S::containers,
     P::up_to_date, V::low, A::manual, "Pull images by digest or re-pull before running."},
    {"BLWK-CIS-5.29", "5.29", "", "The PIDs cgroup limit is set", 1, S::containers, P::limit_privileges, V::medium,
     A::automated, "Set --pids-limit."},
    {"BLWK-CIS-5.30", "5.30", "", "The default bridge docker0 is not used", 2, S::containers, P::network_policy, V::low,
     A::automated, "Attach containers to user-defined networks."},
    {"BLWK-CIS-5.31", "5.31", "", "The host's user namespace is not shared", 1, S::containers, P::isolation, V::medium,
     A::automated, "Do not use --userns host."},
    {"BLWK-CIS-5.32", "5.32", "", "The Docker socket is not mounted in the container", 1, S::containers, P::isolation,
     V::critical, A::automated, "Never mount /var/run/docker.sock into a container: it gives root on the host."},

    // §6 Docker security operations
    {"BLWK-CIS-6.1", "6.1", "", "Image sprawl is avoided", 1, S::operations, P::host_hardening, V::info, A::automated,
     "Remove images no container uses (docker image prune)."},
    {"BLWK-CIS-6.2", "6.2", "", "Container sprawl is avoided", 1, S::operations, P::host_hardening, V::info,
     A::automated, "Remove stopped containers (docker container prune)."},

    // §7 Docker swarm configuration (only when swarm is active)
    {"BLWK-CIS-7.1", "7.1", "", "The swarm has the minimum number of manager nodes", 1, S::swarm, P::host_hardening,
     V::low, A::automated, "Keep an odd, small number of managers (docker node demote)."},
    {"BLWK-CIS-7.2", "7.2", "", "Swarm services are bound to a specific host interface", 1, S::swarm, P::network_policy,
     V::medium, A::manual, "Initialise swarm with --listen-addr on a specific interface."},
    {"BLWK-CIS-7.3", "7.3", "", "Swarm overlay networks are encrypted", 1, S::swarm, P::network_policy, V::medium,
     A::manual, "Create overlay networks with --opt encrypted."},
    {"BLWK-CIS-7.4", "7.4", "", "Docker's secret management is used for secrets", 1, S::swarm, P::access_control,
     V::medium, A::manual, "Use docker secret for swarm services."},
    {"BLWK-CIS-7.5", "7.5", "", "Swarm managers run in auto-lock mode", 1, S::swarm, P::access_control, V::medium,
     A::automated, "docker swarm update --autolock=true."},
    {"BLWK-CIS-7.6", "7.6", "", "The swarm auto-lock key is rotated", 1, S::swarm, P::access_control, V::low, A::manual,
     "docker swarm unlock-key --rotate periodically."},
    {"BLWK-CIS-7.7", "7.7", "", "Node certificates are rotated", 1, S::swarm, P::access_control, V::low, A::automated,
     "docker swarm update --cert-expiry to a period that suits you."},
    {"BLWK-CIS-7.8", "7.8", "", "CA certificates are rotated", 1, S::swarm, P::access_control, V::low, A::manual,
     "docker swarm ca --rotate periodically."},
    {"BLWK-CIS-7.9", "7.9", "", "Management plane traffic is separate from data plane traffic", 1, S::swarm,
     P::network_policy, V::low, A::manual, "Initialise swarm with --data-path-addr on another interface."},

    // bulwark: kernel settings for container hosts. IP forwarding is deliberately not a
    // failure here: container networking needs it.
    {"BLWK-HOST-K01", "", "", "Kernel version (for the record)", 1, S::kernel, P::up_to_date, V::info, A::automated,
     "Keep the kernel patched; container isolation depends on it."},
    {"BLWK-HOST-K02", "", "", "Unprivileged BPF is disabled", 1, S::kernel, P::host_hardening, V::medium, A::automated,
     "sysctl kernel.unprivileged_bpf_disabled=1 (or 2)."},
    {"BLWK-HOST-K03", "", "", "Kernel pointers are hidden (kptr_restrict)", 1, S::kernel, P::host_hardening, V::low,
     A::automated, "sysctl kernel.kptr_restrict=1."},
    {"BLWK-HOST-K04", "", "", "The kernel log is restricted (dmesg_restrict)", 1, S::kernel, P::host_hardening, V::low,
     A::automated, "sysctl kernel.dmesg_restrict=1."},
    {"BLWK-HOST-K05", "", "", "Links are protected (protected_symlinks/hardlinks)", 1, S::kernel, P::host_hardening,
     V::medium, A::automated, "sysctl fs.protected_symlinks=1 fs.protected_hardlinks=1."},
    {"BLWK-HOST-K06", "", "", "setuid programs do not dump core (suid_dumpable)", 1, S::kernel, P::host_hardening,
     V::low, A::automated, "sysctl fs.suid_dumpable=0."},
    {"BLWK-HOST-K07", "", "", "Bridged traffic passes iptables (bridge-nf-call-iptables)", 1, S::kernel,
     P::network_policy, V::medium, A::automated,
     "modprobe br_netfilter; sysctl net.bridge.bridge-nf-call-iptables=1 so container firewall rules apply."},
    {"BLWK-HOST-K08", "", "", "IP forwarding (needed for container networking)", 1, S::kernel, P::network_policy,
     V::info, A::automated, "Nothing to do: Docker needs net.ipv4.ip_forward=1 for bridged containers."},
    {"BLWK-HOST-K09", "", "", "Localhost is not routable from containers (route_localnet)", 1, S::kernel,
     P::network_policy, V::medium, A::automated, "sysctl net.ipv4.conf.all.route_localnet=0."},

    // bulwark: runtime-agnostic posture of every containerised process, from /proc.
    {"BLWK-PROC-001", "", "", "Containerised process has no dangerous effective capabilities", 1, S::processes,
     P::limit_privileges, V::high, A::automated,
     "Drop SYS_ADMIN, SYS_MODULE, SYS_PTRACE, SYS_RAWIO, DAC_READ_SEARCH, NET_ADMIN, BPF and the like."},
    {"BLWK-PROC-002", "", "", "Containerised process has no_new_privs set", 1, S::processes, P::limit_privileges,
     V::low, A::automated, "Run containers with no-new-privileges."},
    {"BLWK-PROC-003", "", "", "Containerised process runs under a seccomp filter", 1, S::processes, P::limit_privileges,
     V::high, A::automated, "Do not disable the runtime's default seccomp profile."},
    {"BLWK-PROC-004", "", "", "Containerised process shares no namespace with the host", 1, S::processes, P::isolation,
     V::high, A::automated, "Do not share the host's net, pid, ipc, uts, mnt or user namespaces."},
    {"BLWK-PROC-005", "", "", "Root in the container is not root on the host", 1, S::processes, P::isolation, V::medium,
     A::automated, "Run as a non-root user or with user namespaces (userns-remap, rootless)."},
});

}  // namespace

std::string_view section_title(Section s) noexcept {
  switch (s) {
    case Section::host: return "1 Host configuration";
    case Section::daemon: return "2 Docker daemon configuration";
    case Section::files: return "3 Docker daemon configuration files";
    case Section::images: return "4 Container images and build files";
    case Section::containers: return "5 Container runtime";
    case Section::operations: return "6 Docker security operations";
    case Section::swarm: return "7 Docker swarm configuration";
    case Section::kernel: return "Kernel settings for container hosts";
    case Section::processes: return "Containerised processes (/proc)";
  }
  return "";
}

std::span<const CheckDef> catalogue() noexcept {
  return kChecks;
}

const CheckDef* find_check(std::string_view id) noexcept {
  for (const auto& c : kChecks) {
    if (c.id == id || (!c.cis.empty() && c.cis == id)) return &c;
  }
  return nullptr;
}

core::Finding make_finding(const CheckDef& def, const core::Target& target, core::FindingStatus status,
                           std::string evidence) {
  core::Finding f;
  f.id = std::string(def.id);
  f.title = std::string(def.title);
  f.severity = def.severity;
  f.status = status;
  f.practice = def.practice;
  f.target = target;
  if (!def.cis.empty()) {
    std::string level = def.level == 2 ? "2" : "1";
    f.standards.push_back({"cis-docker", std::string(def.cis), "1.6.0", level, {}});
    f.standards.push_back({"cis-docker", std::string(def.cis), "1.7.0", level, {}});
    if (!def.cis_1_8.empty()) f.standards.push_back({"cis-docker", std::string(def.cis_1_8), "1.8.0", level, {}});
  }
  f.evidence = std::move(evidence);
  f.remediation = std::string(def.remediation);
  return f;
}

}  // namespace bulwark::host
