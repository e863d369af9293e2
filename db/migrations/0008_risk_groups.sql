ALTER TABLE `protocols` ADD `chains` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `protocols` ADD `depends_on` text DEFAULT '[]' NOT NULL;