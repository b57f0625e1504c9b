# embed.cmake: a text file as a C string (IN -> OUT, symbol NAME), so the binary carries the
# default suite it ships as a file.
file(READ ${IN} text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\n" "\\n\"\n\"" text "${text}")
file(WRITE ${OUT}.tmp "/* generated from ${IN}: do not edit */\nconst char ${NAME}[] =\n\"${text}\";\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
