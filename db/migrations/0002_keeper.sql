CREATE TABLE `keeper_watch` (
	`product_id` integer PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`round_id` text,
	`answer` text,
	`updated_at` integer,
	`paused` integer,
	`valid` integer NOT NULL,
	`problem` text,
	`distance_bps` integer,
	`block_number` integer NOT NULL,
	`observed_at` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `policies_status_idx`;--> statement-breakpoint
ALTER TABLE `policies` ADD `owner_block` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `policies_block_idx` ON `policies` (`chain_id`,`block_number`);--> statement-breakpoint
CREATE INDEX `policies_status_end_idx` ON `policies` (`status`,`end_at`);--> statement-breakpoint
ALTER TABLE `incidents` ADD `fired_block` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `incidents` ADD `status_block` integer DEFAULT 0 NOT NULL;