-- 接口需控制参数 (catalog metadata): an unconditional share whose interface needs control parameters is
-- requested and reviewed like a conditional one (seed 003 §22).
ALTER TABLE resources ADD COLUMN control_parameters boolean NOT NULL DEFAULT false;
