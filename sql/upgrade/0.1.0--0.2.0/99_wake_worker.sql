
-- A worker of the new library waits while its database is at an older
-- version; the update's commit wakes it (or the launcher) at once.
SELECT tiktrack.wake_worker_on_commit();
