/*-------------------------------------------------------------------------
 *
 * citus_node.h
 *	  Whether this node is a Citus worker node, where the tiktrack
 *	  background worker does not fetch.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_CITUS_NODE_H
#define TIKTRACK_CITUS_NODE_H

/*
 * True when Citus is installed in the current database and this node is
 * one of its worker nodes (not the coordinator).  Starts and commits a
 * transaction of its own; logs once when the node becomes a worker node.
 */
extern bool citus_node_is_worker(const char *database_name);

#endif							/* TIKTRACK_CITUS_NODE_H */
