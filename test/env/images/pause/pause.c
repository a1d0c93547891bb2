/*
 * The pod sandbox's process for the test cluster's containerd (its CRI sandbox_image): it only
 * has to exist, holding the pod's namespaces. As PID 1 of the pod it also adopts orphaned
 * processes, so it reaps them; SIGTERM or SIGINT (the runtime stopping the pod) end it with 0.
 *
 * The three signals are blocked and taken synchronously with sigwait(): a blocked signal is
 * queued even for a namespace's init (the kernel drops only unhandled, unblocked ones there),
 * and no handler runs at an arbitrary point. Built with `gcc -static -Os` (pause-image.ts).
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

int main(void) {
  sigset_t wanted;
  sigemptyset(&wanted);
  sigaddset(&wanted, SIGTERM);
  sigaddset(&wanted, SIGINT);
  sigaddset(&wanted, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &wanted, NULL) != 0) {
    perror("pause: sigprocmask");
    return 1;
  }
  for (;;) {
    int signal_number = 0;
    if (sigwait(&wanted, &signal_number) != 0) continue;
    if (signal_number != SIGCHLD) return 0;
    /* One SIGCHLD may stand for several exited children. */
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
  }
}
