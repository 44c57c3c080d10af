DROP TABLE firm_declarations;
