DROP TABLE receivable_payments;
