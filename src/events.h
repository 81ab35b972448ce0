/*-------------------------------------------------------------------------
 *
 * events.h
 *	  The tiktrack.events setting: whether tiktrack sends NOTIFY
 *	  tiktrack_events.
 *
 * PostgreSQL cannot restrict LISTEN: any role that can connect to the
 * database may listen on any channel.  So the payloads carry event names
 * and ids only (an application joins them to what it may read), and a
 * superuser can switch the events off altogether.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_EVENTS_H
#define TIKTRACK_EVENTS_H

extern bool tiktrack_events;

extern void events_define_gucs(void);

#endif							/* TIKTRACK_EVENTS_H */
