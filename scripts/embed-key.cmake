# Turn the PEM test key into a C string (called by CMakeLists.txt).
file(READ ${IN} pem)
string(REPLACE "\n" "\\n\"\n\t\"" body "${pem}")
file(WRITE ${OUT} "/* generated from keys/tdxup-test-signing-key.pem */\nconst char tdxup_test_key_pem[] =\n\t\"${body}\";\n")
