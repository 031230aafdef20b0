// SPDX-License-Identifier: MIT

// flatten-server serves libltl's JSON flattener over HTTP (see ltl.Handler).
//
//	flatten-server -listen 127.0.0.1:8080
//	curl --data-binary @doc.json 'localhost:8080/flatten?format=lines'
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"ltl.local/ltl"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	srv := &http.Server{
		Addr:              *listen,
		Handler:           ltl.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Printf("flatten-server (libltl %s) on http://%s", ltl.Version(), *listen)
	log.Fatal(srv.ListenAndServe())
}
