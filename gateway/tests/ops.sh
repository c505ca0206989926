area_ops() { :; }
