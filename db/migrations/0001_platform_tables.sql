CREATE TABLE `api_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`name` text NOT NULL,
	`scopes` text NOT NULL,
	`integrator` text,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_idx` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `chain_cursor` (
	`chain_id` integer PRIMARY KEY NOT NULL,
	`block_number` integer NOT NULL,
	`block_hash` text NOT NULL,
	`updated_at` integer DEFAULT (unixepoch()) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key` text NOT NULL,
	`scope` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` text NOT NULL,
	`response_status` integer,
	`response_body` text,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_expiry_idx` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` integer PRIMARY KEY NOT NULL,
	`chain_id` integer NOT NULL,
	`product_id` integer NOT NULL,
	`status` text NOT NULL,
	`incident_time` integer NOT NULL,
	`fired_at` integer NOT NULL,
	`confirmed_at` integer,
	`liability` text NOT NULL,
	`reserve` text,
	`paid` text DEFAULT '0' NOT NULL,
	`proof_hex` text NOT NULL,
	`evidence_json` text NOT NULL,
	`fire_tx_hash` text NOT NULL,
	`confirm_tx_hash` text
);
--> statement-breakpoint
CREATE INDEX `incidents_product_idx` ON `incidents` (`product_id`);--> statement-breakpoint
CREATE INDEX `incidents_status_idx` ON `incidents` (`status`);--> statement-breakpoint
CREATE TABLE `keeper_intents` (
	`id` text PRIMARY KEY NOT NULL,
	`signer` text NOT NULL,
	`kind` text NOT NULL,
	`target` text NOT NULL,
	`calldata` text NOT NULL,
	`nonce` integer,
	`tx_hash` text,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch()) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `keeper_intents_status_idx` ON `keeper_intents` (`signer`,`status`);--> statement-breakpoint
CREATE TABLE `keeper_runs` (
	`scheduled_at` integer PRIMARY KEY NOT NULL,
	`lease_until` integer NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`summary_json` text
);
--> statement-breakpoint
CREATE TABLE `observations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`product_id` integer NOT NULL,
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
CREATE INDEX `observations_product_idx` ON `observations` (`product_id`,`observed_at`);--> statement-breakpoint
CREATE TABLE `payouts` (
	`policy_id` integer PRIMARY KEY NOT NULL,
	`incident_id` integer NOT NULL,
	`recipient` text NOT NULL,
	`amount` text NOT NULL,
	`deferred` integer DEFAULT false NOT NULL,
	`tx_hash` text NOT NULL,
	`block_number` integer NOT NULL,
	`paid_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `payouts_incident_idx` ON `payouts` (`incident_id`);--> statement-breakpoint
CREATE INDEX `payouts_recipient_idx` ON `payouts` (`recipient`);--> statement-breakpoint
CREATE TABLE `policies` (
	`id` integer PRIMARY KEY NOT NULL,
	`chain_id` integer NOT NULL,
	`product_id` integer NOT NULL,
	`owner` text NOT NULL,
	`payer` text NOT NULL,
	`cover_amount` text NOT NULL,
	`premium` text NOT NULL,
	`start_at` integer NOT NULL,
	`end_at` integer NOT NULL,
	`integrator` text NOT NULL,
	`status` text NOT NULL,
	`tx_hash` text NOT NULL,
	`block_number` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `policies_owner_idx` ON `policies` (`owner`);--> statement-breakpoint
CREATE INDEX `policies_product_active_idx` ON `policies` (`product_id`,`start_at`,`end_at`);--> statement-breakpoint
CREATE INDEX `policies_status_idx` ON `policies` (`status`);--> statement-breakpoint
CREATE TABLE `pool_snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`chain_id` integer NOT NULL,
	`block_number` integer NOT NULL,
	`total_assets` text NOT NULL,
	`active_cover` text NOT NULL,
	`unearned_premium` text NOT NULL,
	`pending_liability` text NOT NULL,
	`capacity_left` text NOT NULL,
	`leverage_bps` integer NOT NULL,
	`cooldown_seconds` integer NOT NULL,
	`observed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pool_snapshots_latest_idx` ON `pool_snapshots` (`chain_id`,`observed_at`);--> statement-breakpoint
CREATE TABLE `products` (
	`id` integer PRIMARY KEY NOT NULL,
	`chain_id` integer NOT NULL,
	`protocol_id` text NOT NULL,
	`name` text NOT NULL,
	`trigger_kind` text NOT NULL,
	`trigger_address` text NOT NULL,
	`params_json` text NOT NULL,
	`params_hex` text NOT NULL,
	`terms_text` text NOT NULL,
	`terms_hash` text NOT NULL,
	`cap_amount` text NOT NULL,
	`coverage_lag_seconds` integer NOT NULL,
	`veto_window_seconds` integer NOT NULL,
	`rate_multiplier_bps` integer DEFAULT 10000 NOT NULL,
	`status` text NOT NULL,
	`listed_at` integer NOT NULL,
	`updated_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`protocol_id`) REFERENCES `protocols`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `products_protocol_idx` ON `products` (`protocol_id`);--> statement-breakpoint
CREATE INDEX `products_status_idx` ON `products` (`status`);--> statement-breakpoint
CREATE TABLE `protocols` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`category` text NOT NULL,
	`website` text,
	`audit_count` integer NOT NULL,
	`last_audit_at` integer,
	`launched_at` integer NOT NULL,
	`tvl_usd` text NOT NULL,
	`incident_count` integer DEFAULT 0 NOT NULL,
	`last_incident_at` integer,
	`admin_key` text NOT NULL,
	`upgradeable` integer NOT NULL,
	`oracle_dependence` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch()) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `quotes` (
	`id` integer PRIMARY KEY NOT NULL,
	`product_id` integer NOT NULL,
	`amount` text NOT NULL,
	`premium` text NOT NULL,
	`start_at` integer NOT NULL,
	`duration_seconds` integer NOT NULL,
	`buyer` text NOT NULL,
	`deadline` integer NOT NULL,
	`terms_hash` text NOT NULL,
	`integrator` text NOT NULL,
	`integrator_fee_bps` integer NOT NULL,
	`signature` text NOT NULL,
	`breakdown_json` text NOT NULL,
	`api_key_id` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `quotes_product_idx` ON `quotes` (`product_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`webhook_id` integer NOT NULL,
	`event_type` text NOT NULL,
	`event_id` text NOT NULL,
	`payload` text NOT NULL,
	`attempt` integer NOT NULL,
	`status` text NOT NULL,
	`response_status` integer,
	`next_attempt_at` integer,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_event_idx` ON `webhook_deliveries` (`webhook_id`,`event_id`,`attempt`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due_idx` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`api_key_id` integer NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`events` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhooks_key_idx` ON `webhooks` (`api_key_id`);