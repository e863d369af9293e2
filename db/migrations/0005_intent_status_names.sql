-- keeper_intents.status takes the TxSender's own names (workers/objects/txIntent.ts):
-- the keeper's enqueued-but-not-yet-sent state is 'queued' (was 'pending'); 'superseded' was
-- never written. Rows mirrored before this keep 'broadcast', 'mined' and 'failed' (an on-chain
-- revert was mirrored as 'failed' then; it is 'reverted' from now on).
UPDATE `keeper_intents` SET `status` = 'queued' WHERE `status` = 'pending';
