/*
 * tiktrack 0.1.0 install script.
 *
 * Assembled by the Makefile from the fragments in sql/install/, one per
 * concern; edit the fragments: sql/tiktrack--0.1.0.sql is generated.
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION tiktrack" to load this file. \quit
