-- latest_snapshots keeps half of each page free, so that the store step's
-- update of every row stays on its page; videos keeps 65 % free, so that a
-- video's first fetch (caption, posting time, duration) stays on its page
-- (see sql/install/10_schema.sql).  Rows written from now on follow it;
-- the existing pages fill as they are rewritten.
ALTER TABLE tiktrack.latest_snapshots SET (fillfactor = 50);
ALTER TABLE tiktrack.videos SET (fillfactor = 35);
