CREATE TABLE `deployments` (
	`chain_id` integer NOT NULL,
	`contract` text NOT NULL,
	`address` text NOT NULL,
	`deployed_block` integer NOT NULL,
	`deployed_at` integer NOT NULL,
	PRIMARY KEY(`chain_id`, `contract`)
);
