-- Initial schema: vehicles with their MOT tests and defects, plus import
-- tracking. Runs on MySQL 8.0 and MariaDB 10.6+.
--
-- Keys follow the data rather than the publisher's fields. Registrations
-- are not unique and tests have no guaranteed identity, so:
--   * vehicles.id is assigned by the loader from the import_log row and the
--     line number that created the vehicle, which makes reloads idempotent;
--   * a test is identified by its vehicle and its position (test_index);
--   * a defect by its test and its position (defect_index).
-- No foreign keys: the loader keeps the three tables consistent itself and
-- bulk loads stay fast.

CREATE TABLE vehicles (
    id BIGINT UNSIGNED NOT NULL,
    registration VARCHAR(32) NOT NULL,
    first_used_date DATE NULL,
    registration_date DATE NULL,
    manufacture_date DATE NULL,
    primary_colour VARCHAR(255) NULL,
    secondary_colour VARCHAR(255) NULL,
    engine_size INT UNSIGNED NULL,
    make VARCHAR(255) NULL,
    model VARCHAR(255) NULL,
    fuel_type VARCHAR(255) NULL,
    last_mot_test_date DATETIME(3) NULL,
    data_source VARCHAR(64) NULL,
    last_update_date DATE NULL,
    modification VARCHAR(64) NULL,
    import_id BIGINT UNSIGNED NOT NULL,
    source_line BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (id),
    KEY vehicles_registration (registration)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE mot_tests (
    vehicle_id BIGINT UNSIGNED NOT NULL,
    test_index SMALLINT UNSIGNED NOT NULL,
    mot_test_number BIGINT UNSIGNED NULL,
    certificate_number VARCHAR(64) NULL,
    completed_date DATETIME(3) NULL,
    expiry_date DATE NULL,
    test_result VARCHAR(64) NULL,
    odometer_value INT UNSIGNED NULL,
    odometer_unit VARCHAR(64) NULL,
    odometer_result_type VARCHAR(64) NULL,
    data_source VARCHAR(64) NULL,
    registration_at_time_of_test VARCHAR(32) NULL,
    location VARCHAR(255) NULL,
    defects_listed TINYINT(1) NOT NULL,
    PRIMARY KEY (vehicle_id, test_index),
    KEY mot_tests_number (mot_test_number)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE defects (
    vehicle_id BIGINT UNSIGNED NOT NULL,
    test_index SMALLINT UNSIGNED NOT NULL,
    defect_index SMALLINT UNSIGNED NOT NULL,
    defect_type VARCHAR(64) NULL,
    dangerous TINYINT(1) NULL,
    text TEXT NULL,
    PRIMARY KEY (vehicle_id, test_index, defect_index)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per archive member (or per file that is not an archive).
-- state: downloaded (known, not yet loaded), loading, loaded, failed,
-- superseded (belongs to a bulk that a later bulk replaced).
CREATE TABLE import_log (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    archive VARCHAR(255) NOT NULL,
    member VARCHAR(255) NOT NULL,
    member_index INT UNSIGNED NOT NULL,
    kind VARCHAR(16) NOT NULL,
    file_created_on DATE NULL,
    archive_bytes BIGINT UNSIGNED NOT NULL,
    member_bytes BIGINT UNSIGNED NOT NULL,
    member_crc32 INT UNSIGNED NULL,
    state VARCHAR(16) NOT NULL,
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    lines_read BIGINT UNSIGNED NOT NULL DEFAULT 0,
    vehicles_written BIGINT UNSIGNED NOT NULL DEFAULT 0,
    tests_written BIGINT UNSIGNED NOT NULL DEFAULT 0,
    defects_written BIGINT UNSIGNED NOT NULL DEFAULT 0,
    vehicles_deleted BIGINT UNSIGNED NOT NULL DEFAULT 0,
    rejects BIGINT UNSIGNED NOT NULL DEFAULT 0,
    error_kind VARCHAR(64) NULL,
    error_text TEXT NULL,
    registered_at DATETIME(3) NOT NULL,
    started_at DATETIME(3) NULL,
    finished_at DATETIME(3) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY import_log_member (archive, member),
    KEY import_log_state (state)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Lines that could not be loaded, with enough to find and fix them.
CREATE TABLE import_rejects (
    import_id BIGINT UNSIGNED NOT NULL,
    line_number BIGINT UNSIGNED NOT NULL,
    byte_offset BIGINT UNSIGNED NOT NULL,
    reason TEXT NOT NULL,
    raw_line MEDIUMBLOB NOT NULL,
    raw_length BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (import_id, line_number)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per run of a loading command.
CREATE TABLE import_batch_report (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    command VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    started_at DATETIME(3) NOT NULL,
    finished_at DATETIME(3) NULL,
    files INT UNSIGNED NOT NULL DEFAULT 0,
    members_loaded INT UNSIGNED NOT NULL DEFAULT 0,
    members_skipped INT UNSIGNED NOT NULL DEFAULT 0,
    members_failed INT UNSIGNED NOT NULL DEFAULT 0,
    vehicles_written BIGINT UNSIGNED NOT NULL DEFAULT 0,
    tests_written BIGINT UNSIGNED NOT NULL DEFAULT 0,
    defects_written BIGINT UNSIGNED NOT NULL DEFAULT 0,
    vehicles_deleted BIGINT UNSIGNED NOT NULL DEFAULT 0,
    rejects BIGINT UNSIGNED NOT NULL DEFAULT 0,
    error_text TEXT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
