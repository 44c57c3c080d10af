-- Issue 20: a loan's interest rate (interest subsidies are min(subsidy rate, loan rate) × principal × days / 365);
-- products no longer carry expected subsidies (matching reads the live policies), so the two fields leave
-- every stored specification.
ALTER TABLE loans ADD COLUMN interest_rate TEXT;
UPDATE loans SET interest_rate = a.approved_rate FROM applications a WHERE a.id = loans.application_id;
UPDATE products SET spec = ((spec::jsonb) - 'fee_subsidy_share' - 'interest_subsidy_rate')::text
WHERE (spec::jsonb) ?| array['fee_subsidy_share', 'interest_subsidy_rate'];
