# Keys that are no path segment and no file name ("", ".", "..", a '/', bytes that are
# not UTF-8) are listed escaped (~e ~. ~.. ~1 ~xHH), and each listed name leads back to
# its value; a key holding a NUL has no name and is not listed (docs/NAMESPACE.md)
ltl append '{"..":1,".":2,"":3,"a/b":4,"~":5,"n\u0000ul":6,"s\ud800x":7,"x":{"..":{"":8}}}' >/dev/null
t ltl ls /seq/1.json
for name in $(ltl ls /seq/1.json | tr -d /); do t ltl get "/seq/1.json/$name"; done
t ltl get '/seq/1.json/x/~../~e'
t ltl get '/seq/1.json/~x2e'
# a segment ".." is still resolved on the text: it goes up
t ltl get '/seq/1.json/x/..'
