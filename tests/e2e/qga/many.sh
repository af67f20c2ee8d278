source "$SRC_DIR/tests/e2e/qga/common.sh"; skip todo
