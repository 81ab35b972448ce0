/*-------------------------------------------------------------------------
 *
 * signals.h
 *	  Settings and SQL entry points of the signals layer (traction,
 *	  forecasts, fraud signals); the statistics are in signal_stats.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_SIGNALS_H
#define TIKTRACK_SIGNALS_H

extern double tiktrack_traction_breakout;

extern void signals_define_gucs(void);

#endif							/* TIKTRACK_SIGNALS_H */
