-- ECL member filters on moduleId and effectiveTime ({{ M moduleId = ..., effectiveTime >= ... }})
-- read each member's module and effective time. Members imported before this migration have
-- neither (NULL): such a filter asks for the release to be imported again.
ALTER TABLE sct_refset_member ADD COLUMN module_pk INTEGER;
ALTER TABLE sct_refset_member ADD COLUMN effective_time INTEGER;
