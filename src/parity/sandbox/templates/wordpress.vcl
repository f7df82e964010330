vcl 4.1;
# WordPress cache of the parity sandbox, site "{{ site }}" (listening on 127.0.0.1:{{ varnish_port }}).
# Written by `parity sandbox up`; `parity sandbox up --vcl FILE` runs production on your own.
#
# Rules: personalised or changing requests go to WordPress untouched (pass); every other
# GET/HEAD is cached without its cookies. Responses say X-Cache: HIT, MISS or PASS, and
# keep Varnish's Age header. PURGE (localhost only) drops one Host + URL.

backend wordpress {
    .host = "127.0.0.1";
    .port = "{{ nginx_port }}";
    .connect_timeout = 2s;
    .first_byte_timeout = 60s;
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(405, "PURGE is allowed from localhost only"));
        }
        # Purges the object hashed from this Host + URL only (see vcl_hash).
        return (purge);
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/wp-admin(/|$)" || req.url ~ "^/wp-login\.php" || req.url ~ "[?&]preview=true(&|$)") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # Logged-in users, password-protected posts and commenters see personal pages.
    if (req.http.Cookie ~ "(^|;\s*)(wordpress_logged_in_|wordpress_sec_|wp-postpass_|comment_author_)") {
        return (pass);
    }
    # Any other cookie (analytics, test cookies) must not split or bypass the cache.
    unset req.http.Cookie;
    return (hash);
}

sub vcl_hash {
    hash_data(req.url);
    if (req.http.Host) {
        hash_data(req.http.Host);
    } else {
        hash_data(server.ip);
    }
    return (lookup);
}

sub vcl_backend_response {
    # A response that sets a cookie is personal: never store it.
    if (beresp.http.Set-Cookie) {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
