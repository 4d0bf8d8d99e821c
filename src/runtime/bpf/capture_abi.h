/* The record layout shared by the BPF capture programs (capture.bpf.c) and the
 * userspace reader (src/runtime/probe). Plain C so both compilers read it.
 *
 * A record is a fixed header followed by `nfields` TLV fields (tag, length,
 * bytes), each field padded to 4 bytes. The kernel fills what the event needs;
 * userspace never trusts a length without checking it against the record size. */
#ifndef BULWARK_RUNTIME_BPF_CAPTURE_ABI_H
#define BULWARK_RUNTIME_BPF_CAPTURE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BW_MAX_SYSCALLS 512 /* size of the enabled-syscall filter map */
#define BW_MAX_RECORD 8192  /* largest record the kernel sends */
#define BW_MAX_STR 1024     /* longest single user string or path copied */
#define BW_MAX_ARGV 2048    /* argv bytes copied on exec */
#define BW_MAX_SOCKADDR 112 /* user sockaddr bytes copied (sockaddr_un is 110) */

/* Syscalls whose user-memory argument is copied at entry, before the kernel reads it
 * (the open family's path, connect's address). The includer provides the __NR_ numbers
 * (<asm/unistd_64.h>). */
#define BW_IS_ENTRY_SYSCALL(nr) \
  ((nr) == __NR_open || (nr) == __NR_openat || (nr) == __NR_openat2 || (nr) == __NR_creat || (nr) == __NR_connect)

enum bw_kind {
  BW_KIND_SYSCALL = 1, /* a syscall exit; syscall_nr and ret are set */
  BW_KIND_EXEC = 2,    /* sched_process_exec: a successful execve/execveat */
  BW_KIND_FORK = 3,    /* sched_process_fork: the child's identity, parent in ppid */
  BW_KIND_EXIT = 4,    /* sched_process_exit of a thread */
};

enum bw_field {
  BW_F_PATH = 1,       /* first path argument as the caller passed it */
  BW_F_PATH2 = 2,      /* second path (rename/link target, symlink linkpath) */
  BW_F_CWD = 3,        /* cwd of the task (exec, and relative opens) */
  BW_F_EXE = 4,        /* exec: the path given to execve (bprm->filename) */
  BW_F_EXEPATH = 5,    /* exec: the resolved path of the executable file */
  BW_F_ARGV = 6,       /* exec: NUL-separated argv */
  BW_F_SOCKADDR = 7,   /* connect/bind: the user's sockaddr bytes */
  BW_F_TUPLE = 8,      /* struct bw_tuple: the socket behind an fd */
  BW_F_DIRFD_PATH = 9, /* resolved path of the dirfd of a relative *at call */
  BW_F_STR = 10,       /* other string argument (memfd name, fstype, module params) */
  BW_F_STR2 = 11,
  BW_F_CGROUP = 12, /* exec/fork: leaf name of the task's container cgroup */
  BW_F_FDPATH = 13, /* resolved path of the file behind an fd argument */
};

/* exec flags */
#define BW_EXEC_UPPER_LAYER 1u /* executable lives in an overlayfs upper layer */
#define BW_EXEC_MEMFD 2u       /* executable is a memfd */
#define BW_EXEC_WRITABLE 4u    /* executable is world-writable (mode check) */
#define BW_EXEC_LOWER_LAYER 8u /* executable lives in an overlayfs lower (image) layer */

struct bw_tuple {
  __u16 family;   /* AF_INET, AF_INET6, AF_UNIX, ... */
  __u16 type;     /* SOCK_STREAM, ... */
  __u16 protocol; /* IPPROTO_* */
  __u16 sport;    /* host byte order */
  __u16 dport;    /* host byte order */
  __u16 pad;
  __u8 saddr[16]; /* IPv4 in the first 4 bytes */
  __u8 daddr[16];
};

struct bw_header {
  __u64 ts_ns; /* bpf_ktime_get_boot_ns */
  __u32 size;  /* whole record */
  __u16 kind;  /* enum bw_kind */
  __u16 nfields;
  __s64 ret;
  __u64 args[6];
  __u32 syscall_nr;
  __u32 cpu;
  __u32 pid; /* tgid */
  __u32 tid;
  __u32 ppid;
  __u32 uid; /* real */
  __u32 gid;
  __u32 euid;
  __u32 egid;
  __u32 loginuid;
  __u64 cap_effective;
  __u64 cap_permitted;
  __u64 cap_inheritable;
  __u64 cgroup_id; /* kernfs id of the container cgroup (v2 default, else v1 memory) */
  __u32 mntns;     /* mount namespace inode */
  __u32 pidns;     /* pid namespace inode */
  __u32 vpid;      /* pid inside the task's pid namespace */
  __u32 tty;       /* exec: tty device number, 0 when none */
  __u32 exec_flags;
  __u32 sid;      /* session id (pid in the task's namespace) */
  __u64 start_ns; /* process start (boot ns), for process age */
  char comm[16];
};

struct bw_field_hdr {
  __u16 tag;
  __u16 len; /* bytes of value, not counting padding */
};

struct bw_counters {
  __u64 events;   /* records submitted */
  __u64 drops;    /* records lost: ring buffer full */
  __u64 filtered; /* syscall exits dropped by the in-kernel filter */
};

/* --learn: the syscalls one cgroup made, one bit per syscall number. `bits`:
 * every syscall made under a seccomp filter or by the workload (what a seccomp
 * profile must allow); `workload`: those of the workload itself, not of the
 * runtime's init setting the container up (what capabilities are inferred from). */
struct bw_syscall_set {
  __u64 bits[BW_MAX_SYSCALLS / 64];
  __u64 workload[BW_MAX_SYSCALLS / 64];
};

#endif
