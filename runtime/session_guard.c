/*
** session_guard.c: the checks of session_guard.h. The registry is a fixed
** table under a mutex (no allocation, so out-of-memory sweeps see the same
** allocations in every build); past its size new sessions go unchecked.
** The owner is the address of a thread-local byte: unique per live thread.
*/
#include <pthread.h>
#include <stddef.h>

#include "runtime/session.h"

#ifdef NETC_DEBUG_CHECKS
enum { MAX_TRACKED = 4096 };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const netc_session *live[MAX_TRACKED];
static int n_live;
static int overflowed; /* some session was not recorded: unknown is not dead */

void rt_guard_register(const netc_session *s) {
  pthread_mutex_lock(&lock);
  if (n_live < MAX_TRACKED) live[n_live++] = s;
  else overflowed = 1;
  pthread_mutex_unlock(&lock);
}

void rt_guard_unregister(const netc_session *s) {
  pthread_mutex_lock(&lock);
  for (int i = 0; i < n_live; i++)
    if (live[i] == s) {
      live[i] = live[--n_live];
      break;
    }
  pthread_mutex_unlock(&lock);
}

static int is_live(const netc_session *s) {
  pthread_mutex_lock(&lock);
  int found = overflowed;
  for (int i = 0; i < n_live && !found; i++) found = live[i] == s;
  pthread_mutex_unlock(&lock);
  return found;
}
#else
void rt_guard_register(const netc_session *s) { (void)s; }
void rt_guard_unregister(const netc_session *s) { (void)s; }
static int is_live(const netc_session *s) { return s != NULL; }
#endif

#ifdef NETC_DEBUG_CHECKS
static _Thread_local char this_thread;
#endif

netc_status rt_guard_enter(netc_session *s) {
  if (!s || !is_live(s)) return NETC_EINVAL;
#ifdef NETC_DEBUG_CHECKS
  uintptr_t me = (uintptr_t)&this_thread, expected = 0;
  if (!atomic_compare_exchange_strong(&s->guard.owner, &expected, me) && expected != me)
    return NETC_ESTATE;
  s->guard.depth++;
#endif
  return NETC_OK;
}

void rt_guard_leave(netc_session *s) {
#ifdef NETC_DEBUG_CHECKS
  if (--s->guard.depth == 0) atomic_store(&s->guard.owner, 0);
#else
  (void)s;
#endif
}
