<?php
/*
 * Install one WordPress site of the parity sandbox from the command line (no wp-cli here).
 * Settings arrive in PARITY_* environment variables, so no password shows in `ps`.
 * Prints one JSON line: {"installed": true|false} (false when it already was).
 */
$site_url = getenv('PARITY_SITE_URL');
$parts = parse_url($site_url);

// Debian's wp-config.php picks /etc/wordpress/config-<WORDPRESS_CONFIG>.php.
$_SERVER['WORDPRESS_CONFIG'] = getenv('PARITY_WORDPRESS_CONFIG');
$_SERVER['HTTP_HOST'] = $parts['host'] . ':' . $parts['port'];
$_SERVER['SERVER_NAME'] = $parts['host'];
$_SERVER['SERVER_PORT'] = (string) $parts['port'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';

define('WP_INSTALLING', true);
// wp_guess_url() returns these, so siteurl, home and every GUID use the Varnish URL.
define('WP_SITEURL', $site_url);
define('WP_HOME', $site_url);

require getenv('PARITY_WORDPRESS_ROOT') . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

// Offline and silent: no HTTP request (loopback permalink test, update checks), no mail.
add_filter('pre_http_request', function () {
    return new WP_Error('parity_sandbox_offline', 'the parity sandbox makes no HTTP requests');
}, 1);
add_filter('pre_wp_mail', '__return_false', 1);

if (is_blog_installed()) {
    echo json_encode(array('installed' => false)), "\n";
    exit(0);
}

$result = wp_install(
    getenv('PARITY_SITE_TITLE'),
    getenv('PARITY_ADMIN_USER'),
    getenv('PARITY_ADMIN_EMAIL'),
    false,
    '',
    wp_slash(getenv('PARITY_ADMIN_PASSWORD'))
);

// Pretty permalinks, so routes look real (/hello-world/); nginx needs no .htaccess.
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');
$wp_rewrite->flush_rules(false);

switch_theme(getenv('PARITY_THEME'));
update_option('blogdescription', getenv('PARITY_SITE_DESCRIPTION'));

echo json_encode(array('installed' => true, 'user_id' => $result['user_id'])), "\n";
