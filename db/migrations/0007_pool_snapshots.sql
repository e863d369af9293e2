CREATE TABLE `pool_snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`chain_id` integer NOT NULL,
	`block_number` integer NOT NULL,
	`observed_at` integer NOT NULL,
	`total_assets` text NOT NULL,
	`total_shares` text NOT NULL,
	`active_cover` text NOT NULL,
	`pending_liability` text NOT NULL,
	`assets_per_share` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pool_snapshots_time_idx` ON `pool_snapshots` (`chain_id`,`observed_at`);