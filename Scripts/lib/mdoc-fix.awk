# Scripts/lib/mdoc-fix.awk — makes generate-manual's mdoc pages clean for man-db and lintian:
#   - the NAME section's `.Nm "swiftvs mark add"` becomes `.Nm swiftvs.mark.add`, the page's
#     file name, so whatis/apropos (and `man swiftvs.mark.add`) find it; the synopsis' bare
#     `.Nm` lines get the command as typed ("swiftvs mark add") back;
#   - a text line starting with ' (roff's other control character) is escaped with \&;
#   - an empty line (a paragraph break in the help text) becomes .Pp.
/^\.Nm "/ && !named {
  named = 1
  typed = substr($0, 5)
  page = typed; gsub(/"/, "", page); gsub(/ /, ".", page)
  print ".Nm " page
  next
}
/^\.Nm$/ && named { print ".Nm " typed; next }
/^'/ { print "\\&" $0; next }
/^[ \t]*$/ { print ".Pp"; next }
{ print }
