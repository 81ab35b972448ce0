-- One KPI query a line: "label|query".  test/t/091_citus_distribute.pl
-- runs each on the Citus coordinator and on a single node holding the
-- same data (kpi_load.sql) and compares the rows.  campaign_posts leaves
-- out when a post was added and its tracking state: the cluster's worker
-- runs (it finds the loaded posts' creators unauthorized), the single
-- node's does not.
campaign_metrics|SELECT * FROM tiktrack.campaign_metrics(1)
campaign_metrics summer|SELECT * FROM tiktrack.campaign_metrics(2)
campaign_metrics as_of|SELECT * FROM tiktrack.campaign_metrics(1, '2026-03-04 12:00+00')
campaign_posts|SELECT to_jsonb(p) - 'added_at' - 'tracking_state' - 'last_error' - 'pending_reason' FROM tiktrack.campaign_posts(1) p
campaign_creators|SELECT * FROM tiktrack.campaign_creators(1)
campaign_creators summer|SELECT * FROM tiktrack.campaign_creators(2)
post_windows|SELECT * FROM tiktrack.post_windows(1)
campaign_summary|SELECT to_jsonb(s) - 'created_at' FROM tiktrack.campaign_summary s ORDER BY campaign_id
views_at_age|SELECT v.id, tiktrack.views_at_age(v.id, '1 day') FROM tiktrack.videos v ORDER BY v.id
benchmark|SELECT * FROM tiktrack.benchmark('1 day')
benchmark all|SELECT * FROM tiktrack.benchmark('2 days', 'all')
traction|SELECT * FROM tiktrack.traction(7300000000000000020, '2026-03-07 00:00+00')
forecast_views|SELECT * FROM tiktrack.forecast_views(7300000000000000020, '3 days', 0.8, '2026-03-07 00:00+00')
forecast_backtest|SELECT * FROM tiktrack.forecast_backtest('1 day', '3 days')
fraud_signals|SELECT * FROM tiktrack.fraud_signals('alice', '2026-03-15')
authenticity|SELECT * FROM tiktrack.authenticity('bob')
attribution|SELECT * FROM tiktrack.attribution(1)
attribution_models|SELECT * FROM tiktrack.attribution_models(1)
payouts|SELECT * FROM tiktrack.payouts(2)
emv|SELECT tiktrack.emv(1, 'tiktok')
campaign_pacing|SELECT * FROM tiktrack.campaign_pacing(1, '2026-03-15 00:00+00')
latest_snapshots|SELECT * FROM tiktrack.latest_snapshots ORDER BY video_id
