/*
 * tiktrack upgrade script from 0.1.0 to 0.2.0.
 *
 * Assembled by the Makefile from the fragments in this directory, one per
 * concern, in file-name order; each carries the same changes as the
 * matching edits of sql/install/.  test/t/002_upgrade.pl checks that an
 * upgraded database has exactly the schema of a fresh install and keeps
 * every row.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tiktrack UPDATE TO '0.2.0'" to load this file. \quit
