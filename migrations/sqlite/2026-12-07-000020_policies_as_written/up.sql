-- Issue 20: a loan's interest rate (interest subsidies are min(subsidy rate, loan rate) × principal × days / 365);
-- products no longer carry expected subsidies (matching reads the live policies), so the two fields leave
-- every stored specification.
ALTER TABLE loans ADD COLUMN interest_rate TEXT;
UPDATE loans SET interest_rate = (
    SELECT a.approved_rate FROM applications a WHERE a.id = loans.application_id
) WHERE application_id IS NOT NULL;
UPDATE products SET spec = json_remove(spec, '$.fee_subsidy_share', '$.interest_subsidy_rate')
WHERE json_extract(spec, '$.fee_subsidy_share') IS NOT NULL
   OR json_extract(spec, '$.interest_subsidy_rate') IS NOT NULL;
