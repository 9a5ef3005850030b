"""Number formats per language (FORMAT_MODULE_PATH). Django's own Arabic formats write
200.5 as "200,5", which a Jordanian reads as two hundred thousand five hundred; ours
keep the decimal point and the thousands comma of the receipts."""
