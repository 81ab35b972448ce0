/*
 * tiktrack install script (current version, see tiktrack.control).
 *
 * Assembled by the Makefile from the fragments in sql/install/, one per
 * concern; edit the fragments: the script is generated.  Every change
 * made here also goes into the upgrade script's fragments in
 * sql/upgrade/0.1.0--<version>/ (test/t/002_upgrade.pl checks that both
 * give the same schema).
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION tiktrack" to load this file. \quit
