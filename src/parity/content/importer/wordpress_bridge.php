<?php
/*
 * parity content import: write posts through WordPress's own functions (php-cli).
 *
 * Loads the site's WordPress once (wp-load.php), then reads one JSON request per line on
 * stdin and answers one JSON line on stdout:
 *   {"op": "create"|"update"|"trash"|"untrash"|"delete"|"restore", "items": [...]}
 *   -> {"results": [{"ok": true, "post_id": 12}, {"ok": false, "error": "..."}]}
 * wp_insert_post, wp_update_post, wp_trash_post, wp_delete_post and update_post_meta run
 * with their hooks, as an editor's save would. Settings arrive in PARITY_* environment
 * variables (no password travels here: WordPress reads its own config).
 * While it runs, WordPress makes no HTTP request and sends no mail.
 */

$site_url = getenv('PARITY_SITE_URL');
$parts = parse_url($site_url);
$config = getenv('PARITY_WORDPRESS_CONFIG');
if ($config !== false && $config !== '') {
    // Debian's wp-config.php picks /etc/wordpress/config-<WORDPRESS_CONFIG>.php.
    $_SERVER['WORDPRESS_CONFIG'] = $config;
}
$port = isset($parts['port']) ? $parts['port'] : (($parts['scheme'] === 'https') ? 443 : 80);
$_SERVER['HTTP_HOST'] = $parts['host'] . (isset($parts['port']) ? ':' . $parts['port'] : '');
$_SERVER['SERVER_NAME'] = $parts['host'];
$_SERVER['SERVER_PORT'] = (string) $port;
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
if ($parts['scheme'] === 'https') {
    $_SERVER['HTTPS'] = 'on';
}
define('WP_USE_THEMES', false);

require getenv('PARITY_WORDPRESS_ROOT') . '/wp-load.php';

add_filter('pre_http_request', function () {
    return new WP_Error('parity_import_offline', 'parity imports make no HTTP requests');
}, 1);
add_filter('pre_wp_mail', '__return_false', 1);
// Untrashing restores the status a post had before it was trashed.
add_filter('wp_untrash_post_status', 'wp_untrash_post_set_previous_status', 10, 3);

wp_set_current_user((int) getenv('PARITY_AUTHOR_ID'));

$managed_prefix = getenv('PARITY_META_PREFIX');
$bookkeeping = explode(',', getenv('PARITY_BOOKKEEPING_KEYS'));

function parity_is_managed($key) {
    global $managed_prefix, $bookkeeping;
    return strpos($key, $managed_prefix) === 0 || in_array($key, $bookkeeping, true);
}

function parity_error($value) {
    if (is_wp_error($value)) {
        return $value->get_error_message();
    }
    return 'WordPress returned ' . var_export($value, true);
}

/* Remove the managed meta keys of a post that are not in $keep. */
function parity_drop_stale_meta($post_id, $keep) {
    foreach (array_keys(get_post_meta($post_id)) as $key) {
        if (parity_is_managed($key) && !array_key_exists($key, $keep)) {
            delete_post_meta($post_id, $key);
        }
    }
}

function parity_create($item) {
    $post = array(
        'post_type' => 'post',
        'post_status' => $item['status'],
        'post_author' => (int) getenv('PARITY_AUTHOR_ID'),
        'post_title' => $item['title'],
        'post_content' => $item['content'],
        'post_excerpt' => $item['excerpt'],
        'meta_input' => $item['meta'],
        'tags_input' => $item['tags'],
    );
    $id = wp_insert_post(wp_slash($post), true);
    if (is_wp_error($id) || !$id) {
        return array('ok' => false, 'error' => parity_error($id));
    }
    return array('ok' => true, 'post_id' => $id);
}

function parity_update($item) {
    $id = (int) $item['post_id'];
    if (!get_post($id)) {
        return array('ok' => false, 'post_id' => $id, 'error' => 'no such post');
    }
    $post = array(
        'ID' => $id,
        'post_title' => $item['title'],
        'post_content' => $item['content'],
        'post_excerpt' => $item['excerpt'],
        'meta_input' => $item['meta'],
        'tags_input' => $item['tags'],
    );
    $result = wp_update_post(wp_slash($post), true);
    if (is_wp_error($result) || !$result) {
        return array('ok' => false, 'post_id' => $id, 'error' => parity_error($result));
    }
    parity_drop_stale_meta($id, $item['meta']);
    return array('ok' => true, 'post_id' => $id);
}

function parity_restore($item) {
    $id = (int) $item['post_id'];
    if (!get_post($id)) {
        return array('ok' => false, 'post_id' => $id, 'error' => 'the post no longer exists');
    }
    $result = wp_update_post(wp_slash(array(
        'ID' => $id,
        'post_title' => $item['title'],
        'post_content' => $item['content'],
        'post_excerpt' => $item['excerpt'],
    )), true);
    if (is_wp_error($result) || !$result) {
        return array('ok' => false, 'post_id' => $id, 'error' => parity_error($result));
    }
    parity_drop_stale_meta($id, array());
    foreach ($item['meta'] as $pair) {
        // Raw values as stored: unserialize so WordPress stores the same bytes again.
        add_post_meta($id, $pair[0], wp_slash(maybe_unserialize($pair[1])));
    }
    wp_set_post_tags($id, $item['tags'], false);
    return array('ok' => true, 'post_id' => $id);
}

function parity_op($op, $item) {
    switch ($op) {
        case 'create':
            return parity_create($item);
        case 'update':
            return parity_update($item);
        case 'restore':
            return parity_restore($item);
        case 'trash':
            $id = (int) $item['post_id'];
            $post = get_post($id);
            if (!$post) {
                return array('ok' => false, 'post_id' => $id, 'error' => 'no such post');
            }
            if ($post->post_status === 'trash') {
                return array('ok' => true, 'post_id' => $id);
            }
            $done = wp_trash_post($id);
            return $done ? array('ok' => true, 'post_id' => $id)
                : array('ok' => false, 'post_id' => $id, 'error' => 'wp_trash_post refused');
        case 'untrash':
            $id = (int) $item['post_id'];
            $post = get_post($id);
            if (!$post) {
                return array('ok' => false, 'post_id' => $id, 'error' => 'no such post');
            }
            if ($post->post_status !== 'trash') {
                return array('ok' => true, 'post_id' => $id);
            }
            $done = wp_untrash_post($id);
            return $done ? array('ok' => true, 'post_id' => $id)
                : array('ok' => false, 'post_id' => $id, 'error' => 'wp_untrash_post refused');
        case 'delete':
            $id = (int) $item['post_id'];
            if (!get_post($id)) {
                return array('ok' => true, 'post_id' => $id, 'error' => 'already gone');
            }
            $done = wp_delete_post($id, true);
            return $done ? array('ok' => true, 'post_id' => $id)
                : array('ok' => false, 'post_id' => $id, 'error' => 'wp_delete_post refused');
    }
    return array('ok' => false, 'error' => 'unknown operation ' . $op);
}

echo json_encode(array('ready' => true, 'wordpress' => get_bloginfo('version'))), "\n";
flush();

while (($line = fgets(STDIN)) !== false) {
    $request = json_decode($line, true);
    if (!is_array($request)) {
        echo json_encode(array('error' => 'a request must be one JSON object per line')), "\n";
        continue;
    }
    $results = array();
    foreach ($request['items'] as $item) {
        try {
            $results[] = parity_op($request['op'], $item);
        } catch (Throwable $e) {
            $results[] = array('ok' => false, 'error' => get_class($e) . ': ' . $e->getMessage());
        }
    }
    echo json_encode(array('results' => $results)), "\n";
    flush();
}
