<?php
/*
 * parity: which database does a WordPress config really connect to?
 *
 * Loads only the site's config (wp-config.php and what it includes), never WordPress:
 * ABSPATH is defined first as a folder whose wp-settings.php only calls
 * parity_probe_report(), so the config's last line (require ABSPATH . 'wp-settings.php')
 * ends here. The report connects with the config's own credentials, as WordPress's
 * mysqli would, asks the server who it is, and prints one JSON line. No password is
 * printed; nothing is written.
 */

function parity_probe_fail($message) {
    echo json_encode(array('error' => $message)), "\n";
    exit(0);
}

/* DB_HOST as WordPress reads it: host, host:port, host:/socket, [ipv6]:port. */
function parity_parse_db_host($value) {
    $host = $value;
    $port = null;
    $socket = null;
    $slash = strpos($host, ':/');
    if ($slash !== false) {
        $socket = substr($host, $slash + 1);
        $host = substr($host, 0, $slash);
    }
    if (preg_match('/^\[([^\]]+)\](?::(\d+))?$/', $host, $m)) {
        $host = $m[1];
        $port = isset($m[2]) ? (int) $m[2] : null;
    } elseif (substr_count($host, ':') === 1) {
        list($host, $p) = explode(':', $host, 2);
        if ($p !== '' && !ctype_digit($p)) {
            parity_probe_fail("DB_HOST has a port that is not a number");
        }
        $port = $p === '' ? null : (int) $p;
    }
    return array($host === '' ? null : $host, $port, $socket);
}

function parity_probe_report() {
    global $table_prefix;
    foreach (array('DB_NAME', 'DB_USER', 'DB_HOST') as $name) {
        if (!defined($name)) {
            parity_probe_fail("the config does not define $name");
        }
    }
    list($host, $port, $socket) = parity_parse_db_host(DB_HOST);
    $is_local = $host === null || strtolower($host) === 'localhost';
    if ($socket === null && $is_local) {
        $socket = ini_get('mysqli.default_socket') ?: '/run/mysqld/mysqld.sock';
    }
    mysqli_report(MYSQLI_REPORT_OFF);
    $link = mysqli_init();
    mysqli_options($link, MYSQLI_OPT_CONNECT_TIMEOUT, 5);
    $password = defined('DB_PASSWORD') ? DB_PASSWORD : '';
    if (!@mysqli_real_connect($link, $host, DB_USER, $password, null, $port, $socket)) {
        parity_probe_fail('could not connect to its database: ' . mysqli_connect_error());
    }
    if (!@mysqli_select_db($link, DB_NAME)) {
        parity_probe_fail('its database ' . DB_NAME . ' is not there: ' . mysqli_error($link));
    }
    $row = mysqli_query($link, 'SELECT @@hostname, @@port, @@datadir, DATABASE()')->fetch_row();
    $cluster = mysqli_query(
        $link,
        "SELECT variable_value FROM information_schema.global_status"
        . " WHERE variable_name = 'WSREP_CLUSTER_STATE_UUID'"
    )->fetch_row();
    echo json_encode(array(
        'hostname' => $row[0],
        'port' => (int) $row[1],
        'datadir' => $row[2],
        'database' => $row[3],
        'table_prefix' => isset($table_prefix) ? $table_prefix : 'wp_',
        'cluster' => $cluster ? (string) $cluster[0] : '',
        'db_host' => $host === null ? 'localhost' : $host,
        'db_port' => $port === null ? 3306 : $port,
        'db_socket' => $socket,
    )), "\n";
    exit(0);
}

$parts = parse_url(getenv('PARITY_SITE_URL'));
$config = getenv('PARITY_WORDPRESS_CONFIG');
if ($config !== false && $config !== '') {
    // Debian's wp-config.php picks /etc/wordpress/config-<WORDPRESS_CONFIG>.php.
    $_SERVER['WORDPRESS_CONFIG'] = $config;
}
$_SERVER['HTTP_HOST'] = $parts['host'] . (isset($parts['port']) ? ':' . $parts['port'] : '');
$_SERVER['SERVER_NAME'] = $parts['host'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';

// Where wp-load.php would look: the root's wp-config.php, else the one in the folder
// above (when that folder is not itself a WordPress).
$root = rtrim(getenv('PARITY_WORDPRESS_ROOT'), '/');
if (file_exists($root . '/wp-config.php')) {
    $file = $root . '/wp-config.php';
} elseif (file_exists(dirname($root) . '/wp-config.php')
    && !file_exists(dirname($root) . '/wp-settings.php')) {
    $file = dirname($root) . '/wp-config.php';
} else {
    parity_probe_fail("no wp-config.php in $root or the folder above it");
}
define('ABSPATH', rtrim(getenv('PARITY_PROBE_DIR'), '/') . '/');
require $file;
parity_probe_report();
