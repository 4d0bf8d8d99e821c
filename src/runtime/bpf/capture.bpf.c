// SPDX-License-Identifier: GPL-2.0
/* bulwark's kernel side: CO-RE programs on BTF tracepoints that turn syscall
 * exits and process lifecycle events into records (capture_abi.h) on one ring
 * buffer per CPU.
 *
 * Hooks: one tp_btf/sys_exit dispatcher gated by the `enabled` syscall map that
 * userspace fills from the loaded rules; tp_btf sched_process_exec, fork and
 * exit for the process table. Kprobes, fentry and LSM are not used: tracepoints
 * are the hooks that load everywhere we run. */
// vmlinux.h must come before the libbpf headers.
// clang-format off
#include "vmlinux.h"
#include <asm/unistd_64.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
// clang-format on

#include "capture_abi.h"

char LICENSE[] SEC("license") = "GPL";

#define AT_FDCWD -100
#define TS_COMPAT 0x0002
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define S_IFMT 00170000
#define S_IFSOCK 0140000

#define EV_SIZE (BW_MAX_RECORD * 2)
#define PATH_END 4096
#define TMP_SIZE (PATH_END + 512)
#define MAX_DEPTH 32

/* Userspace sets these before load. */
const volatile __u32 self_tgid = 0;
const volatile __u64 wakeup_bytes = 64 * 1024;
const volatile __u64 reserve_above = (1 << 22) / 8 * 7;
const volatile __u8 drop_failed = 0;
/* --learn: every syscall a cgroup makes is recorded in `learned`, filter or not. */
const volatile __u8 learn_mode = 0;
/* Copy the open family's path and connect's address at syscall entry (see stash_map). */
const volatile __u8 entry_args = 1;

struct scratch {
  __u8 ev[EV_SIZE];
  __u8 tmp[TMP_SIZE];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct scratch);
} scratch_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, BW_MAX_SYSCALLS);
  __type(key, __u32);
  __type(value, __u8);
} enabled SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct bw_counters);
} counters SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64); /* cgroup id */
  __type(value, struct bw_syscall_set);
} learned SEC(".maps");

struct ring {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 22);
};

/* One ring buffer per CPU; userspace sizes the outer map and fills it. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 1);
  __type(key, __u32);
  __array(values, struct ring);
} rings SEC(".maps");

static __always_inline struct scratch* get_scratch(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&scratch_map, &zero);
}

/* Per CPU: how full that CPU's ring may be. Asking the ring (bpf_ringbuf_query)
 * reads the position the reader on another CPU keeps writing; instead the estimate
 * is the last answer plus every byte sent since, which can only overstate the fill,
 * and the ring is asked again every 64 records or near the reserve. */
struct ring_fill {
  __u64 estimate;
  __u32 since_query;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct ring_fill);
} fill_map SEC(".maps");

static __always_inline void submit(struct scratch* s, __u32 size) {
  __u32 zero = 0;
  __u32 cpu = bpf_get_smp_processor_id();
  struct bw_counters* c = bpf_map_lookup_elem(&counters, &zero);
  struct ring_fill* f = bpf_map_lookup_elem(&fill_map, &zero);
  void* rb = bpf_map_lookup_elem(&rings, &cpu);
  if (size > BW_MAX_RECORD) size = BW_MAX_RECORD;
  if (size < sizeof(struct bw_header)) return;
  ((struct bw_header*)s->ev)->size = size;
  if (!rb || !f) {
    if (c) c->drops++;
    return;
  }
  __u64 rec = (size + 8 + 7) & ~7ull; /* the ring's own header and alignment */
  __u64 flags = BPF_RB_NO_WAKEUP;
  __u16 kind = ((struct bw_header*)s->ev)->kind;
  /* Wake the reader at most once per 64 records, when its ring is an eighth full
   * (a wakeup is an interrupt: waking on every record of a busy ring cost more than
   * the record); it also polls on its own every 20 ms. */
  if (f->since_query >= 64 || f->estimate + rec > reserve_above) {
    f->estimate = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
    f->since_query = 0;
    if (f->estimate >= wakeup_bytes) flags = BPF_RB_FORCE_WAKEUP;
  }
  /* The last eighth of a ring is kept for exec, fork and exit: losing a syscall
   * event costs one event, losing an exec corrupts the process table. */
  if (kind == BW_KIND_SYSCALL && f->estimate + rec > reserve_above) {
    if (c) c->drops++;
    return;
  }
  if (bpf_ringbuf_output(rb, s->ev, size, flags) != 0) {
    if (c) c->drops++;
    return;
  }
  f->estimate += rec;
  f->since_query++;
  if (c) c->events++;
}

/* Hot path: the task, its creds, cgroups and namespaces are read by direct loads
 * through BTF pointers (tp_btf programs may walk them; a NULL pointer reads as 0),
 * which costs a fraction of a bpf_probe_read_kernel per hop. */
static __always_inline struct cgroup* container_cgroup(struct task_struct* t) {
  struct css_set* cs = t->cgroups;
  struct cgroup* dfl = cs->dfl_cgrp;
  if (dfl->level > 0) return dfl;
  /* cgroup v1 (or hybrid with an empty unified tree): the memory controller's
   * hierarchy is the one container runtimes always populate. */
  int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
  if (id < 0 || id >= 16) return dfl;
  struct cgroup* cg = cs->subsys[id]->cgroup;
  return cg ? cg : dfl;
}

static __always_inline void fill_header(struct bw_header* h, struct task_struct* t, __u16 kind) {
  __builtin_memset(h, 0, sizeof(*h));
  h->ts_ns = bpf_ktime_get_boot_ns();
  h->kind = kind;
  h->cpu = bpf_get_smp_processor_id();
  h->pid = t->tgid;
  h->tid = t->pid;
  h->ppid = t->real_parent->tgid;
  const struct cred* cred = t->cred;
  h->uid = cred->uid.val;
  h->gid = cred->gid.val;
  h->euid = cred->euid.val;
  h->egid = cred->egid.val;
  /* cap_inheritable, cap_permitted, cap_effective are adjacent 64-bit sets in
   * every layout since 2.6 (u32[2] before 6.3, u64 since): one copy. */
  __u64 caps[3] = {};
  bpf_probe_read_kernel(caps, sizeof(caps), __builtin_preserve_access_index(&cred->cap_inheritable));
  h->cap_inheritable = caps[0];
  h->cap_permitted = caps[1];
  h->cap_effective = caps[2];
  if (bpf_core_field_exists(t->loginuid))
    h->loginuid = t->loginuid.val;
  else
    h->loginuid = (__u32)-1;
  h->cgroup_id = container_cgroup(t)->kn->id;
  h->mntns = t->nsproxy->mnt_ns->ns.inum;
  struct pid* p = t->thread_pid;
  unsigned int level = p->level;
  struct upid up = {};
  bpf_probe_read_kernel(&up, sizeof(up), __builtin_preserve_access_index(&p->numbers[level & 31]));
  h->vpid = up.nr;
  h->pidns = BPF_CORE_READ(up.ns, ns.inum);
  h->start_ns = t->group_leader->start_boottime;
  /* Direct loads (two words), not a helper call. */
  __builtin_memcpy(h->comm, t->comm, sizeof(h->comm));
}

/* The next field goes at `off`; returns the offset after it. Offsets are masked
 * so the verifier can bound every write; a record never exceeds BW_MAX_RECORD. */
static __always_inline __u32 field_room(__u32 off, __u32 need) {
  return off + 4 + need <= BW_MAX_RECORD;
}

static __always_inline __u32 put_field_hdr(struct scratch* s, __u32 off, __u16 tag, long len, __u16* nf) {
  off &= (BW_MAX_RECORD - 1);
  struct bw_field_hdr* fh = (struct bw_field_hdr*)&s->ev[off];
  fh->tag = tag;
  fh->len = (__u16)len;
  (*nf)++;
  return off + 4 + (((__u32)len + 3) & ~3u);
}

static __always_inline __u32 put_user_str(struct scratch* s, __u32 off, __u16 tag, const void* uptr, __u16* nf) {
  if (!uptr || !field_room(off, BW_MAX_STR)) return off;
  off &= (BW_MAX_RECORD - 1);
  long n = bpf_probe_read_user_str(&s->ev[off + 4], BW_MAX_STR, uptr);
  if (n <= 0) return off;
  return put_field_hdr(s, off, tag, n - 1, nf);
}

static __always_inline __u32 put_kernel_str(struct scratch* s, __u32 off, __u16 tag, const void* kptr, __u16* nf) {
  if (!kptr || !field_room(off, BW_MAX_STR)) return off;
  off &= (BW_MAX_RECORD - 1);
  long n = bpf_probe_read_kernel_str(&s->ev[off + 4], BW_MAX_STR, kptr);
  if (n <= 0) return off;
  return put_field_hdr(s, off, tag, n - 1, nf);
}

static __always_inline __u32 put_user_bytes(struct scratch* s, __u32 off, __u16 tag, const void* uptr, __u64 len,
                                            __u16* nf) {
  if (!uptr || len == 0 || !field_room(off, BW_MAX_SOCKADDR)) return off;
  if (len > BW_MAX_SOCKADDR) len = BW_MAX_SOCKADDR;
  off &= (BW_MAX_RECORD - 1);
  if (bpf_probe_read_user(&s->ev[off + 4], len & 127, uptr) != 0) return off;
  return put_field_hdr(s, off, tag, len & 127, nf);
}

/* Resolve a struct path to a string the way d_path does, stopping at the task's
 * root so a container process sees its own paths. Bounded depth. */
static __noinline __u32 put_path_impl(struct scratch* s, __u32 off, __u16 tag, struct dentry* d, struct vfsmount* vm) {
  if (!s || !d || !vm || !field_room(off, BW_MAX_STR)) return off;
  struct task_struct* t = (struct task_struct*)bpf_get_current_task();
  struct dentry* root_d = BPF_CORE_READ(t, fs, root.dentry);
  struct vfsmount* root_m = BPF_CORE_READ(t, fs, root.mnt);
  struct mount* m = container_of(vm, struct mount, mnt);
  __u32 pos = PATH_END;
#pragma clang loop unroll(disable)
  for (int i = 0; i < MAX_DEPTH; i++) {
    if (d == root_d && vm == root_m) break;
    struct dentry* mnt_root = BPF_CORE_READ(vm, mnt_root);
    struct dentry* parent = BPF_CORE_READ(d, d_parent);
    if (d == mnt_root || d == parent) {
      struct mount* mp = BPF_CORE_READ(m, mnt_parent);
      if (mp == m || d != mnt_root) break;
      d = BPF_CORE_READ(m, mnt_mountpoint);
      m = mp;
      vm = __builtin_preserve_access_index(&mp->mnt);
      continue;
    }
    struct qstr q = BPF_CORE_READ(d, d_name);
    __u32 len = q.len & 255;
    if (len + 1 > pos) break;
    pos -= len + 1;
    pos &= (PATH_END - 1);
    bpf_probe_read_kernel(&s->tmp[pos + 1], len, q.name);
    s->tmp[pos] = '/';
    d = parent;
  }
  if (pos >= PATH_END) {
    pos = PATH_END - 1;
    s->tmp[pos] = '/';
  }
  __u32 n = PATH_END - pos;
  if (n > BW_MAX_STR - 1) n = BW_MAX_STR - 1;
  off &= (BW_MAX_RECORD - 1);
  pos &= (PATH_END - 1);
  bpf_probe_read_kernel(&s->ev[off + 4], n & (BW_MAX_STR - 1), &s->tmp[pos]);
  __u16 one = 0;
  return put_field_hdr(s, off, tag, n & (BW_MAX_STR - 1), &one);
}

static __always_inline __u32 put_path(struct scratch* s, __u32 off, __u16 tag, struct dentry* d, struct vfsmount* vm,
                                      __u16* nf) {
  __u32 next = put_path_impl(s, off, tag, d, vm);
  if (next != off) (*nf)++;
  return next;
}

static __always_inline struct file* fd_file(struct task_struct* t, long fd) {
  if (fd < 0) return NULL;
  struct fdtable* fdt = BPF_CORE_READ(t, files, fdt);
  unsigned int max = BPF_CORE_READ(fdt, max_fds);
  if ((unsigned long)fd >= max) return NULL;
  struct file** fds = BPF_CORE_READ(fdt, fd);
  struct file* f = NULL;
  bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
  return f;
}

static __always_inline __u32 put_file_path(struct scratch* s, __u32 off, __u16 tag, struct file* f, __u16* nf) {
  if (!f) return off;
  return put_path(s, off, tag, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), nf);
}

static __always_inline __u32 put_cwd(struct scratch* s, __u32 off, struct task_struct* t, __u16* nf) {
  return put_path(s, off, BW_F_CWD, BPF_CORE_READ(t, fs, pwd.dentry), BPF_CORE_READ(t, fs, pwd.mnt), nf);
}

/* After a path argument written at `start` (ending at `next`): what a relative one is
 * relative to, the cwd or the dirfd's path. */
static __always_inline __u32 put_path_base(struct scratch* s, __u32 start, __u32 next, struct task_struct* t,
                                           long dirfd, __u16* nf) {
  if (next == start) return start; /* no path was written */
  if (s->ev[((start & (BW_MAX_RECORD - 1)) + 4) & (EV_SIZE - 1)] == '/') return next;
  if ((int)dirfd == AT_FDCWD) return put_cwd(s, next, t, nf);
  return put_file_path(s, next, BW_F_DIRFD_PATH, fd_file(t, dirfd), nf);
}

/* A path argument, plus what a relative one is relative to. */
static __always_inline __u32 put_path_arg(struct scratch* s, __u32 off, struct task_struct* t, const void* uptr,
                                          long dirfd, __u16* nf) {
  return put_path_base(s, off, put_user_str(s, off, BW_F_PATH, uptr, nf), t, dirfd, nf);
}

static __always_inline __u32 put_tuple(struct scratch* s, __u32 off, struct file* f, __u16* nf) {
  if (!f || !field_room(off, sizeof(struct bw_tuple))) return off;
  umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
  if ((mode & S_IFMT) != S_IFSOCK) return off;
  struct socket* sock = BPF_CORE_READ(f, private_data);
  struct sock* sk = BPF_CORE_READ(sock, sk);
  if (!sk) return off;
  off &= (BW_MAX_RECORD - 1);
  struct bw_tuple* tp = (struct bw_tuple*)&s->ev[off + 4];
  __builtin_memset(tp, 0, sizeof(*tp));
  tp->family = BPF_CORE_READ(sk, __sk_common.skc_family);
  tp->type = BPF_CORE_READ(sk, sk_type);
  tp->protocol = BPF_CORE_READ(sk, sk_protocol);
  tp->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
  tp->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
  if (tp->family == 2 /* AF_INET */) {
    __u32 sa = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
    __u32 da = BPF_CORE_READ(sk, __sk_common.skc_daddr);
    __builtin_memcpy(tp->saddr, &sa, 4);
    __builtin_memcpy(tp->daddr, &da, 4);
  } else if (tp->family == 10 /* AF_INET6 */) {
    BPF_CORE_READ_INTO(&tp->saddr, sk, __sk_common.skc_v6_rcv_saddr);
    BPF_CORE_READ_INTO(&tp->daddr, sk, __sk_common.skc_v6_daddr);
  }
  return put_field_hdr(s, off, BW_F_TUPLE, sizeof(struct bw_tuple), nf);
}

static __always_inline long arg(struct pt_regs* regs, int i) {
  switch (i) {
    case 0: return regs->di;
    case 1: return regs->si;
    case 2: return regs->dx;
    case 3: return regs->r10;
    case 4: return regs->r8;
    default: return regs->r9;
  }
}

/* Arguments the kernel reads from user memory (the open family's path, connect's
 * address) are copied at syscall entry, before the kernel uses them, so a second
 * thread rewriting the buffer during the call cannot change what the rules see.
 * One stash per task (task-local storage: no table to fill, freed with the task). */
struct entry_stash {
  __u32 nr;  /* syscall the stash belongs to; BW_MAX_SYSCALLS = empty */
  __u32 len; /* bytes in data (a path without its NUL, or a sockaddr) */
  __u64 arg; /* the user pointer it was copied from */
  __u8 data[BW_MAX_STR];
};

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct entry_stash);
} stash_map SEC(".maps");

static __always_inline int is_entry_syscall(__u32 nr) {
  return BW_IS_ENTRY_SYSCALL(nr);
}

static __always_inline void handle_enter(__u32 nr, const unsigned long* a) {
  if (!entry_args || !is_entry_syscall(nr)) return;
  if ((__u32)(bpf_get_current_pid_tgid() >> 32) == self_tgid) return;
  struct task_struct* t = bpf_get_current_task_btf();
  struct entry_stash* st = bpf_task_storage_get(&stash_map, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!st) return;
  st->nr = BW_MAX_SYSCALLS;
  if (nr == __NR_connect) {
    __u64 len = a[2];
    if (len == 0 || !a[1]) return;
    if (len > BW_MAX_SOCKADDR) len = BW_MAX_SOCKADDR;
    if (bpf_probe_read_user(st->data, len & 127, (void*)a[1]) != 0) return;
    st->len = len & 127;
    st->arg = a[1];
  } else {
    __u64 p = (nr == __NR_open || nr == __NR_creat) ? a[0] : a[1];
    if (!p) return;
    long n = bpf_probe_read_user_str(st->data, BW_MAX_STR, (void*)p);
    if (n <= 0) return;
    st->len = (__u32)(n - 1);
    st->arg = p;
  }
  st->nr = nr;
}

/* The stash for this syscall, taken (emptied) by the exit handler. */
static __always_inline struct entry_stash* take_stash(struct task_struct* t, __u32 nr, __u64 uptr) {
  if (!entry_args || !is_entry_syscall(nr)) return NULL;
  struct entry_stash* st = bpf_task_storage_get(&stash_map, t, 0, 0);
  if (!st) return NULL;
  if (st->nr != nr || st->arg != uptr) {
    st->nr = BW_MAX_SYSCALLS;
    return NULL;
  }
  st->nr = BW_MAX_SYSCALLS;
  return st;
}

static __always_inline __u32 put_stashed(struct scratch* s, __u32 off, __u16 tag, struct entry_stash* st, __u16* nf) {
  if (!field_room(off, BW_MAX_STR)) return off;
  __u32 len = st->len;
  if (len > BW_MAX_STR - 1) len = BW_MAX_STR - 1;
  off &= (BW_MAX_RECORD - 1);
  if (bpf_probe_read_kernel(&s->ev[off + 4], len & (BW_MAX_STR - 1), st->data) != 0) return off;
  return put_field_hdr(s, off, tag, len & (BW_MAX_STR - 1), nf);
}

/* A path argument (from the entry stash when there is one, else read now), plus
 * what a relative one is relative to. */
static __always_inline __u32 put_open_path(struct scratch* s, __u32 off, struct task_struct* t, __u32 nr,
                                           const void* uptr, long dirfd, __u16* nf) {
  struct entry_stash* st = take_stash(t, nr, (__u64)uptr);
  if (!st) return put_path_arg(s, off, t, uptr, dirfd, nf);
  return put_path_base(s, off, put_stashed(s, off, BW_F_PATH, st, nf), t, dirfd, nf);
}

/* One syscall exit, whichever hook saw it: the raw sys_exit dispatcher or a
 * per-syscall tracepoint. */
static __always_inline int handle_exit(struct pt_regs* regs, __u32 nr, long ret) {
  if (nr >= BW_MAX_SYSCALLS) return 0;
  __u8* on = bpf_map_lookup_elem(&enabled, &nr);
  if (!on || !*on) return 0;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  if ((__u32)(pid_tgid >> 32) == self_tgid) return 0;
  struct task_struct* t = bpf_get_current_task_btf();
  /* Failed opens stay: a denied read of a sensitive file is worth an alert. */
  if (drop_failed && ret < 0 && nr != __NR_open && nr != __NR_openat && nr != __NR_openat2 && nr != __NR_creat) {
    if (nr == __NR_connect) take_stash(t, nr, 0);
    return 0;
  }
  struct scratch* s = get_scratch();
  if (!s) return 0;
  struct bw_header* h = (struct bw_header*)s->ev;
  fill_header(h, t, BW_KIND_SYSCALL);
  h->syscall_nr = nr;
  h->ret = ret;
  long a[6];
  for (int i = 0; i < 6; i++) {
    a[i] = arg(regs, i);
    h->args[i] = a[i];
  }
  __u16 nf = 0;
  __u32 off = sizeof(struct bw_header);

  switch (nr) {
    case __NR_open:
    case __NR_creat: off = put_open_path(s, off, t, nr, (void*)a[0], AT_FDCWD, &nf); break;
    case __NR_openat: off = put_open_path(s, off, t, nr, (void*)a[1], a[0], &nf); break;
    case __NR_openat2: {
      struct open_how how = {};
      bpf_probe_read_user(&how, sizeof(how), (void*)a[2]);
      /* openat2: args[2] and args[3] carry how.flags and how.mode */
      h->args[2] = how.flags;
      h->args[3] = how.mode;
      off = put_open_path(s, off, t, nr, (void*)a[1], a[0], &nf);
      break;
    }
    case __NR_connect: {
      struct entry_stash* st = take_stash(t, nr, (__u64)a[1]);
      if (st && field_room(off, BW_MAX_SOCKADDR)) {
        __u32 o = off & (BW_MAX_RECORD - 1);
        if (bpf_probe_read_kernel(&s->ev[o + 4], st->len & 127, st->data) == 0)
          off = put_field_hdr(s, o, BW_F_SOCKADDR, st->len & 127, &nf);
      } else {
        off = put_user_bytes(s, off, BW_F_SOCKADDR, (void*)a[1], (__u64)a[2], &nf);
      }
      off = put_tuple(s, off, fd_file(t, a[0]), &nf);
      break;
    }
    case __NR_bind:
      off = put_user_bytes(s, off, BW_F_SOCKADDR, (void*)a[1], (__u64)a[2], &nf);
      off = put_tuple(s, off, fd_file(t, a[0]), &nf);
      break;
    case __NR_sendto:
      off = put_user_bytes(s, off, BW_F_SOCKADDR, (void*)a[4], (__u64)a[5], &nf);
      off = put_tuple(s, off, fd_file(t, a[0]), &nf);
      break;
    case __NR_accept:
    case __NR_accept4:
    case __NR_dup:
    case __NR_dup2:
    case __NR_dup3: off = put_tuple(s, off, fd_file(t, ret), &nf); break;
    case __NR_listen: off = put_tuple(s, off, fd_file(t, a[0]), &nf); break;
    case __NR_mount:
      off = put_user_str(s, off, BW_F_PATH, (void*)a[0], &nf);
      off = put_user_str(s, off, BW_F_PATH2, (void*)a[1], &nf);
      off = put_user_str(s, off, BW_F_STR, (void*)a[2], &nf);
      break;
    case __NR_umount2:
    case __NR_unlink:
    case __NR_rmdir:
    case __NR_chmod:
    case __NR_chdir:
    case __NR_chroot:
    case __NR_mkdir: off = put_path_arg(s, off, t, (void*)a[0], AT_FDCWD, &nf); break;
    case __NR_unlinkat:
    case __NR_fchmodat:
    case __NR_mkdirat: off = put_path_arg(s, off, t, (void*)a[1], a[0], &nf); break;
    case __NR_rename:
    case __NR_link:
    case __NR_symlink:
      off = put_user_str(s, off, BW_F_PATH, (void*)a[0], &nf);
      off = put_user_str(s, off, BW_F_PATH2, (void*)a[1], &nf);
      break;
    case __NR_renameat:
    case __NR_renameat2:
    case __NR_linkat:
      off = put_user_str(s, off, BW_F_PATH, (void*)a[1], &nf);
      off = put_user_str(s, off, BW_F_PATH2, (void*)a[3], &nf);
      break;
    case __NR_symlinkat:
      off = put_user_str(s, off, BW_F_PATH, (void*)a[0], &nf);
      off = put_user_str(s, off, BW_F_PATH2, (void*)a[2], &nf);
      break;
    case __NR_fchmod:
    case __NR_fchdir: off = put_file_path(s, off, BW_F_FDPATH, fd_file(t, a[0]), &nf); break;
    case __NR_memfd_create: off = put_user_str(s, off, BW_F_STR, (void*)a[0], &nf); break;
    case __NR_init_module: off = put_user_str(s, off, BW_F_STR, (void*)a[2], &nf); break;
    case __NR_finit_module:
      off = put_user_str(s, off, BW_F_STR, (void*)a[1], &nf);
      off = put_file_path(s, off, BW_F_FDPATH, fd_file(t, a[0]), &nf);
      break;
    default: break;
  }
  h->nfields = nf;
  submit(s, off);
  return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs* regs, long ret) {
  __u32 nr = (__u32)regs->orig_ax;
  if (nr >= BW_MAX_SYSCALLS) return 0;
  /* 32-bit (ia32) syscalls number differently; decoding them with the x86_64 table
   * would mislabel them, so they are not captured (docs/runtime-monitor.md). */
  if (bpf_get_current_task_btf()->thread_info.status & TS_COMPAT) return 0;
  if (learn_mode) {
    struct task_struct* lt = bpf_get_current_task_btf();
    __u64 cg = container_cgroup(lt)->kn->id;
    struct bw_syscall_set* set = bpf_map_lookup_elem(&learned, &cg);
    if (!set) {
      struct bw_syscall_set fresh = {};
      bpf_map_update_elem(&learned, &cg, &fresh, BPF_NOEXIST);
      set = bpf_map_lookup_elem(&learned, &cg);
    }
    /* runc's init ("runc:[2:INIT]") sets the container up (mount, pivot_root, ...)
     * before it installs the seccomp filter: those calls never run under the
     * profile and are left out; what it calls after the filter is in place must
     * be allowed, but is not the workload's. */
    char comm[6] = {};
    bpf_get_current_comm(comm, sizeof(comm));
    /* runc's init stages are "runc:[0:PARENT]", "runc:[1:CHILD]", "runc:[2:INIT]"; before
     * nsexec names them, `runc init` is started through /proc/self/exe and is called "exe"
     * (its first mounts happen then). A workload process of that name still counts once it
     * runs under the container's own filter (below). */
    bool runtime_init = (comm[0] == 'r' && comm[1] == 'u' && comm[2] == 'n' && comm[3] == 'c' && comm[4] == ':') ||
                        (comm[0] == 'e' && comm[1] == 'x' && comm[2] == 'e' && comm[3] == '\0');
    /* "Under the container's filter" means a filter of its own: where the engine
     * itself runs under seccomp (a sandboxed CI runner, a systemd SystemCallFilter)
     * runc's init inherits that filter, and its set-up calls still run before the
     * container's. The shim (init's parent once runc exits) keeps the inherited one. */
    bool filtered = lt->seccomp.mode != 0;
    if (filtered && runtime_init) {
      struct task_struct* parent = lt->real_parent;
      if (parent && parent->seccomp.filter == lt->seccomp.filter) filtered = false;
    }
    __u32 word = (nr / 64) & (BW_MAX_SYSCALLS / 64 - 1);
    if (set && (filtered || !runtime_init)) __sync_fetch_and_or(&set->bits[word], 1ULL << (nr % 64));
    if (set && !runtime_init) __sync_fetch_and_or(&set->workload[word], 1ULL << (nr % 64));
  }
  return handle_exit(regs, nr, ret);
}

/* The entry dispatcher, for kernels without per-syscall tracepoints (tracefs). */
SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs* regs, long id) {
  __u32 nr = (__u32)id;
  if (!is_entry_syscall(nr)) return 0;
  if (bpf_get_current_task_btf()->thread_info.status & TS_COMPAT) return 0;
  __u8* on = bpf_map_lookup_elem(&enabled, &nr);
  if (!on || !*on) return 0;
  unsigned long a[3] = {(unsigned long)regs->di, (unsigned long)regs->si, (unsigned long)regs->dx};
  handle_enter(nr, a);
  return 0;
}

/* Per-syscall tracepoints (syscalls/sys_exit_<name>, sys_enter_<name>): userspace
 * attaches these to just the syscalls the rules need, so every other syscall costs
 * the kernel a bitmap test instead of a BPF program run. The kernel skips ia32
 * syscalls on these tracepoints. */
SEC("tracepoint")
int on_sys_exit_tp(struct trace_event_raw_sys_exit* ctx) {
  struct pt_regs* regs = (struct pt_regs*)bpf_task_pt_regs(bpf_get_current_task_btf());
  if (!regs) return 0;
  return handle_exit(regs, (__u32)ctx->id, ctx->ret);
}

SEC("tracepoint")
int on_sys_enter_tp(struct trace_event_raw_sys_enter* ctx) {
  __u32 nr = (__u32)ctx->id;
  unsigned long a[3] = {ctx->args[0], ctx->args[1], ctx->args[2]};
  handle_enter(nr, a);
  return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct* p, pid_t old_pid, struct linux_binprm* bprm) {
  if (BPF_CORE_READ(p, tgid) == self_tgid) return 0;
  struct scratch* s = get_scratch();
  if (!s) return 0;
  struct task_struct* t = bpf_get_current_task_btf();
  struct bw_header* h = (struct bw_header*)s->ev;
  fill_header(h, t, BW_KIND_EXEC);
  h->syscall_nr = __NR_execve;

  struct tty_struct* tty = BPF_CORE_READ(t, signal, tty);
  if (tty) {
    int index = BPF_CORE_READ(tty, index);
    int major = BPF_CORE_READ(tty, driver, major);
    int minor = BPF_CORE_READ(tty, driver, minor_start);
    h->tty = ((__u32)major << 20) | (__u32)(minor + index);
  }
  struct file* f = BPF_CORE_READ(bprm, file);
  struct inode* ino = BPF_CORE_READ(f, f_inode);
  if (BPF_CORE_READ(ino, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC) {
    struct ovl_inode* oi = container_of(ino, struct ovl_inode, vfs_inode);
    h->exec_flags |= BPF_CORE_READ(oi, __upperdentry) ? BW_EXEC_UPPER_LAYER : BW_EXEC_LOWER_LAYER;
  }
  char name[8] = {};
  bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(f, f_path.dentry, d_name.name));
  if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' && name[5] == ':')
    h->exec_flags |= BW_EXEC_MEMFD;
  umode_t mode = BPF_CORE_READ(ino, i_mode);
  if (mode & 0002) h->exec_flags |= BW_EXEC_WRITABLE;

  __u16 nf = 0;
  __u32 off = sizeof(struct bw_header);
  off = put_kernel_str(s, off, BW_F_EXE, BPF_CORE_READ(bprm, filename), &nf);
  if (h->exec_flags & BW_EXEC_MEMFD)
    off = put_kernel_str(s, off, BW_F_EXEPATH, BPF_CORE_READ(f, f_path.dentry, d_name.name), &nf);
  else
    off = put_file_path(s, off, BW_F_EXEPATH, f, &nf);
  off = put_cwd(s, off, t, &nf);
  struct cgroup* cg = container_cgroup(t);
  off = put_kernel_str(s, off, BW_F_CGROUP, BPF_CORE_READ(cg, kn, name), &nf);

  unsigned long as = BPF_CORE_READ(t, mm, arg_start);
  unsigned long ae = BPF_CORE_READ(t, mm, arg_end);
  if (ae > as && field_room(off, BW_MAX_ARGV)) {
    __u64 len = ae - as;
    if (len > BW_MAX_ARGV) len = BW_MAX_ARGV;
    off &= (BW_MAX_RECORD - 1);
    if (bpf_probe_read_user(&s->ev[off + 4], len & (BW_MAX_ARGV - 1), (void*)as) == 0)
      off = put_field_hdr(s, off, BW_F_ARGV, len & (BW_MAX_ARGV - 1), &nf);
  }
  h->nfields = nf;
  submit(s, off);
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct* parent, struct task_struct* child) {
  /* Threads join their process; only new processes enter the table. */
  if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid)) return 0;
  if (BPF_CORE_READ(parent, tgid) == self_tgid) return 0;
  struct scratch* s = get_scratch();
  if (!s) return 0;
  struct bw_header* h = (struct bw_header*)s->ev;
  fill_header(h, child, BW_KIND_FORK);
  h->ppid = BPF_CORE_READ(parent, tgid);
  __u16 nf = 0;
  __u32 off = sizeof(struct bw_header);
  struct cgroup* cg = container_cgroup(child);
  off = put_kernel_str(s, off, BW_F_CGROUP, BPF_CORE_READ(cg, kn, name), &nf);
  h->nfields = nf;
  submit(s, off);
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct* p) {
  if (BPF_CORE_READ(p, pid) != BPF_CORE_READ(p, tgid)) return 0;
  if (BPF_CORE_READ(p, tgid) == self_tgid) return 0;
  struct scratch* s = get_scratch();
  if (!s) return 0;
  struct bw_header* h = (struct bw_header*)s->ev;
  fill_header(h, p, BW_KIND_EXIT);
  h->ret = BPF_CORE_READ(p, exit_code);
  submit(s, sizeof(struct bw_header));
  return 0;
}
