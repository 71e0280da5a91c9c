/*
** session_guard.h: the debug build's checks on session handles (configure
** --enable-debug, which defines NETC_DEBUG_CHECKS). A registry of live
** sessions refuses a call on a destroyed one without reading its memory,
** and an owner word refuses a call made while another thread is inside
** the session. Release builds only refuse NULL.
*/
#ifndef RT_SESSION_GUARD_H
#define RT_SESSION_GUARD_H

#include <stdatomic.h>
#include <stdint.h>

#include "netc.h"

/* The guard's state inside each session. */
typedef struct rt_guard {
  _Atomic uintptr_t owner; /* the thread inside the session, 0 for none */
  int depth;               /* nested calls of the owner (a progress
                              callback saving a checkpoint) */
} rt_guard;

/* Records a new session as live, or forgets a destroyed one. */
void rt_guard_register(const netc_session *s);
void rt_guard_unregister(const netc_session *s);

/* Before and after a call on `s`: NETC_EINVAL for NULL or, in debug
** builds, a session that is not live; NETC_ESTATE when another thread is
** inside it. rt_guard_leave only after an OK. */
netc_status rt_guard_enter(netc_session *s);
void rt_guard_leave(netc_session *s);

#endif
