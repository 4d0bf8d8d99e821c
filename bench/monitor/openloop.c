/* A syscall-heavy workload for bench/monitor-overhead.sh: each of N processes runs
 * a tight open/read/close loop on a small file for a fixed time and reports how
 * many loops it made. Plain C, no dependencies. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: openloop FILE SECONDS PROCS [SLEEP_US_EVERY_1000]\n");
    return 2;
  }
  const char* path = argv[1];
  double secs = atof(argv[2]);
  int procs = atoi(argv[3]);
  int pause_us = argc > 4 ? atoi(argv[4]) : 0;
  int fds[64][2];
  if (procs < 1 || procs > 64) return 2;
  for (int p = 0; p < procs; p++) {
    if (pipe(fds[p]) != 0) return 1;
    if (fork() == 0) {
      char buf[256];
      unsigned long loops = 0;
      double end = now() + secs;
      while (1) {
        for (int i = 0; i < 1000; i++) {
          int fd = open(path, O_RDONLY);
          if (fd >= 0) {
            if (read(fd, buf, sizeof(buf)) < 0) break;
            close(fd);
          }
        }
        loops += 1000;
        if (pause_us > 0) usleep((useconds_t)pause_us);
        if (now() >= end) break;
      }
      if (write(fds[p][1], &loops, sizeof(loops)) != sizeof(loops)) _exit(1);
      _exit(0);
    }
  }
  unsigned long total = 0;
  for (int p = 0; p < procs; p++) {
    unsigned long loops = 0;
    if (read(fds[p][0], &loops, sizeof(loops)) == sizeof(loops)) total += loops;
  }
  while (wait(NULL) > 0) {
  }
  /* CPU time the workers used (user + system: the kernel's hooks run in the
   * workers' syscalls and are charged to them), per loop: a measure that other
   * jobs on a shared machine disturb far less than the wall-clock rate. */
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
               (double)ru.ru_stime.tv_usec / 1e6;
  printf("%lu %.0f %.1f\n", total, (double)total / secs, total ? cpu * 1e9 / (double)total : 0.0);
  return 0;
}
