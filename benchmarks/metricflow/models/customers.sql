select * from {{ source('raw', 'shop__customers') }}
